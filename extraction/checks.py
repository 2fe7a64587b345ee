"""System checks of the extraction app."""

from django.core.checks import Error, register

from extraction import ranker


@register()
def check_field_model(app_configs, **kwargs):
    """The shipped field model must load: a broken file would leave every PDF to the rules
    without anyone noticing (ranker logs it once per process)."""
    if not ranker.MODEL_PATH.exists():
        return []
    try:
        ranker.FieldModel.load(ranker.MODEL_PATH)
    except (OSError, ValueError) as exc:
        return [
            Error(
                f"The field model cannot be read: {exc}",
                hint="Restore extraction/model/field_ranker.json from the repository, or "
                "train it again with manage.py train_field_model.",
                id="ledgerline.E007",
            )
        ]
    return []
