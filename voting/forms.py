"""Staff forms for polls. They carry CSRF and widgets; the rules are in `voting.services`."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional, ValidationError

from app.auth.forms import district_choices
from app.districts import find_okrug, list_okrugs
from app.numbers import WholeNumberField
from voting.models import Poll
from voting.verify import normalize_receipt

MOSCOW = ZoneInfo("Europe/Moscow")
QUESTION_SLOTS = 4


class QuestionForm(Form):
    text = StringField(_l("Текст вопроса"))
    kind = SelectField(
        _l("Тип"),
        validate_choice=False,  # the services check the kind
        choices=[
            SelectChoice("single", _l("один вариант")),
            SelectChoice("multiple", _l("несколько вариантов")),
            SelectChoice("open", _l("свободный ответ")),
        ],
    )
    max_choices = WholeNumberField(
        _l("Сколько можно выбрать"),
        validators=[Optional()],
        description=_l("Для вопроса с несколькими вариантами; пусто — без ограничения."),
    )
    options = TextAreaField(
        _l("Варианты ответа"),
        description=_l(
            "По одному в строке. Для мест: «название | описание | округ | широта | долгота»."
        ),
        render_kw={"rows": 5},
    )


class PollForm(FlaskForm):
    title = StringField(_l("Название"))
    description = TextAreaField(_l("Описание"), render_kw={"rows": 4})
    audience_okrugs = SelectMultipleField(
        _l("Округа"),
        description=_l("Ни одного округа и района — опрос для всех жителей Москвы."),
        validate_choice=False,
        render_kw={"size": 6},
    )
    audience_districts = SelectMultipleField(
        _l("Районы"), validate_choice=False, render_kw={"size": 6}
    )
    results = SelectField(
        _l("Результаты"),
        validate_choice=False,
        choices=[
            SelectChoice("after_close", _l("после закрытия")),
            SelectChoice("live", _l("сразу, по ходу голосования")),
        ],
    )
    opens_at = DateTimeLocalField(
        _l("Начало (по Москве)"), validators=[Optional()], format="%Y-%m-%dT%H:%M"
    )
    closes_at = DateTimeLocalField(
        _l("Окончание (по Москве)"), validators=[Optional()], format="%Y-%m-%dT%H:%M"
    )
    questions = FieldList(FormField(QuestionForm), min_entries=QUESTION_SLOTS)
    questions_json = TextAreaField(
        _l("Или вопросы в JSON"),
        description=_l(
            'Список как в API: [{"text": …, "kind": "single", "options": [{"text": …}]}]. '
            "Если заполнено, заменяет вопросы выше."
        ),
        render_kw={"rows": 4},
    )
    submit = SubmitField(_l("Сохранить черновик"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.audience_okrugs.choices = [
            SelectChoice(o.code, f"{o.abbrev} — {o.name}") for o in list_okrugs()
        ]
        self.audience_districts.choices = district_choices()

    def fill_from(self, poll: Poll) -> None:
        self.title.data = poll.title
        self.description.data = poll.description
        self.audience_okrugs.data = list(poll.audience_okrugs)
        self.audience_districts.data = list(poll.audience_districts)
        self.results.data = poll.results_visibility.value
        self.opens_at.data = _local(poll.opens_at)
        self.closes_at.data = _local(poll.closes_at)
        while len(self.questions) < max(QUESTION_SLOTS, len(poll.questions) + 1):
            self.questions.append_entry()
        for entry, question in zip(self.questions, poll.questions, strict=False):
            entry.form.text.data = question.text
            entry.form.kind.data = question.kind.value
            entry.form.max_choices.data = (
                question.max_choices if question.kind.value == "multiple" else None
            )
            entry.form.options.data = "\n".join(_option_line(o) for o in question.options)

    def poll_fields(self) -> tuple[dict[str, Any], list[int]]:
        """The services' arguments, and which form slot each question came from."""
        audience: Any = "everyone"
        if self.audience_okrugs.data or self.audience_districts.data:
            audience = {
                "okrugs": list(self.audience_okrugs.data or []),
                "districts": list(self.audience_districts.data or []),
            }
        slots = [i for i, e in enumerate(self.questions) if (e.form.text.data or "").strip()]
        questions: Any = [_question(self.questions[i].form) for i in slots]
        if (self.questions_json.data or "").strip():
            import json

            try:
                questions = json.loads(self.questions_json.data)
            except ValueError:
                questions = None
                self.questions_json.errors = [str(_l("Это не JSON."))]
            slots = []
        return (
            {
                "title": self.title.data,
                "description": self.description.data,
                "audience": audience,
                "results": self.results.data,
                "opens_at": _utc(self.opens_at.data),
                "closes_at": _utc(self.closes_at.data),
                "questions": questions if questions is not None else [],
            },
            slots,
        )


def _question(form: QuestionForm) -> dict[str, Any]:
    options = []
    for line in (form.options.data or "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")] + [""] * 5
        okrug = find_okrug(parts[2]) if parts[2] else None
        options.append(
            {
                "text": parts[0],
                "description": parts[1] or None,
                "okrug": okrug.code if okrug else (parts[2] or None),
                "lat": parts[3] or None,
                "lon": parts[4] or None,
            }
        )
    return {
        "text": form.text.data,
        "kind": form.kind.data,
        "max_choices": form.max_choices.data,
        "options": options,
    }


def _option_line(option: Any) -> str:
    okrug = find_okrug(option.okrug).abbrev if option.okrug and find_okrug(option.okrug) else ""
    parts = [
        option.text,
        option.description or "",
        okrug,
        "" if option.lat is None else str(option.lat),
        "" if option.lon is None else str(option.lon),
    ]
    while parts and not parts[-1]:
        parts.pop()
    return " | ".join(parts)


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=MOSCOW) if value is not None else None


def _local(value: datetime | None) -> datetime | None:
    return value.astimezone(MOSCOW).replace(tzinfo=None) if value is not None else None


class DecisionForm(FlaskForm):
    text = TextAreaField(
        _l("Текст решения"),
        description=_l("Что решено по итогам: например, где откроется флагманский офис."),
        render_kw={"rows": 5},
    )
    # Asked once a decision is published: a correction says why (the service checks it).
    reason = TextAreaField(
        _l("Причина исправления"),
        description=_l("Её увидят все рядом с прежней редакцией решения."),
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Опубликовать решение"))
    correct = SubmitField(_l("Исправить решение"))


def _receipt_shape(form: FlaskForm, field: StringField) -> None:
    """A receipt is read as the API reads it (`normalize_receipt`: case, dashes and spaces do
    not matter); anything that cannot be one is refused before it is looked up."""
    if normalize_receipt(field.data or "") is None:
        raise ValidationError(
            _l("Квитанция — это 32 знака: цифры от 0 до 9 и латинские буквы от A до F.")
        )


class ReceiptForm(FlaskForm):
    receipt = StringField(
        _l("Квитанция"),
        description=_l("32 знака, можно с дефисами, как вы её сохранили."),
        validators=[InputRequired(_l("Введите квитанцию.")), _receipt_shape],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    submit = SubmitField(_l("Проверить"))
