"""Moderator forms: one per queue item, with a button per action."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SubmitField, TextAreaField
from wtforms.validators import Optional

from app.numbers import WholeNumberField


class DecisionForm(FlaskForm):
    target_type = HiddenField()
    target_id = HiddenField()
    expected_status = HiddenField()
    reason = SelectField(_l("Причина"), validate_choice=False)
    note = TextAreaField(_l("Пояснение для автора"), render_kw={"rows": 2})
    merge_into = WholeNumberField(_l("Объединить с идеей №"), validators=[Optional()])
    approve = SubmitField(_l("Одобрить"))
    reject = SubmitField(_l("Отклонить"))
    hide = SubmitField(_l("Скрыть"))
    restore = SubmitField(_l("Восстановить"))
    merge = SubmitField(_l("Объединить"))

    ACTIONS = ("approve", "reject", "hide", "restore", "merge")

    def chosen_action(self) -> str | None:
        return next((name for name in self.ACTIONS if self[name].data), None)


class BlockForm(FlaskForm):
    note = TextAreaField(_l("Пояснение"), render_kw={"rows": 1})
    submit = SubmitField(_l("Заблокировать"))


class UnblockForm(FlaskForm):
    submit = SubmitField(_l("Разблокировать"))
