"""django-q2 task functions of the audit app."""

from audit.chain import check_and_record


def verify_chain() -> str:
    return check_and_record().sentence
