"""Intake channels: the AP mailbox, the scanner folder, and what every channel shares."""
