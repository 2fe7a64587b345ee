"""ERP connectors: ports and adapters. The ERP stays the system of record."""
