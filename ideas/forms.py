"""Forms of the projects and ideas pages. Field rules live in the services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Optional

from ideas.models import ModerationMode, ProjectStage
from ideas.services import MODERATION_LABELS, STAGE_LABELS


class ProjectForm(FlaskForm):
    title = StringField(_l("Название проекта"))
    description = TextAreaField(_l("Описание"), render_kw={"rows": 6})
    sections = TextAreaField(
        _l("Разделы"),
        description=_l("Каждый раздел (тема) с новой строки."),
        render_kw={"rows": 6},
    )
    stage = SelectField(_l("Этап"))
    moderation = SelectField(_l("Модерация"))
    starts_at = DateField(_l("Начало"), validators=[Optional()])
    ends_at = DateField(_l("Окончание"), validators=[Optional()])
    submit = SubmitField(_l("Сохранить"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.stage.choices = [(s.value, str(STAGE_LABELS[s.value])) for s in ProjectStage]
        self.moderation.choices = [
            (m.value, str(MODERATION_LABELS[m.value])) for m in ModerationMode
        ]


class IdeaForm(FlaskForm):
    title = StringField(
        _l("Название идеи"),
        description=_l("Коротко, о чём идея: от 5 до 150 символов."),
        render_kw={"maxlength": "150", "autocomplete": "off"},
    )
    section = SelectField(_l("Раздел"), coerce=int, validate_choice=False)
    body = TextAreaField(
        _l("Текст идеи"),
        description=_l("Что предлагаете и зачем: от 20 до 5000 символов."),
        render_kw={"rows": 8, "maxlength": "5000"},
    )
    check_similar = SubmitField(_l("Проверить похожие идеи"))
    submit = SubmitField(_l("Отправить идею"))


class CommentForm(FlaskForm):
    """Read from the idea page's comment and reply forms (written by hand in the template)."""

    body = TextAreaField(_l("Комментарий"))
    parent_id = HiddenField()


class FlagForm(FlaskForm):
    reason = StringField(_l("Причина жалобы"))
