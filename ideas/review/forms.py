"""Forms of the review pages; the rules live in the services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectChoice,
    SelectField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Optional

from app.numbers import WholeNumberField


class ConflictForm(FlaskForm):
    note = TextAreaField(_l("Пояснение (необязательно)"), render_kw={"rows": 1})
    submit = SubmitField(_l("Заявить конфликт интересов"))


class ReviewForm(FlaskForm):
    """Scores come as radio groups named `score-<code>`, built from the project's rubric."""

    comment = TextAreaField(_l("Комментарий эксперта"), render_kw={"rows": 3})
    shortlist = BooleanField(_l("В короткий список"))
    submit = SubmitField(_l("Сохранить оценку"))


class SelectionForm(FlaskForm):
    submit = SubmitField(_l("Отобрать отмеченные идеи"))


class PublishForm(FlaskForm):
    submit = SubmitField(_l("Опубликовать итоги"))


class ImplementationForm(FlaskForm):
    status = SelectField(
        _l("Статус"),
        choices=[
            SelectChoice("planned", _l("запланирована")),
            SelectChoice("in_progress", _l("в работе")),
            SelectChoice("done", _l("реализована")),
            SelectChoice("declined", _l("отклонена")),
        ],
    )
    progress = WholeNumberField(_l("Готовность, %"), validators=[Optional()])
    note = TextAreaField(_l("Что сделано или почему отказались"), render_kw={"rows": 3})
    submit = SubmitField(_l("Сохранить"))
