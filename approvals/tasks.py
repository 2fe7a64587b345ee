"""django-q2 task functions of the approvals app: they call domain code, nothing more."""

from approvals import escalation


def escalate_approvals() -> str:
    done = escalation.run()
    return f"{len(done.reminded)} reminded, {len(done.escalated)} escalated"
