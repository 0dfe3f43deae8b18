"""Account forms. Field rules live in the services; forms carry CSRF and the widgets."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField, SubmitField

from app.districts import list_okrugs


def district_choices() -> list[SelectChoice]:
    """Districts grouped by okrug, rendered as <optgroup>s."""
    return [
        SelectChoice(d.code, d.name, optgroup=f"{okrug.abbrev} — {okrug.name}")
        for okrug in list_okrugs()
        for d in okrug.districts
    ]


class RegistrationForm(FlaskForm):
    email = EmailField(_l("Электронная почта"), render_kw={"autocomplete": "email"})
    password = PasswordField(
        _l("Пароль"),
        description=_l("Не короче 8 символов."),
        render_kw={"autocomplete": "new-password"},
    )
    display_name = StringField(
        _l("Имя на сайте"),
        description=_l("Так вас увидят другие участники."),
        render_kw={"autocomplete": "nickname"},
    )
    district = SelectField(_l("Район проживания"), validate_choice=False)
    submit = SubmitField(_l("Зарегистрироваться"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.district.choices = [
            SelectChoice("", str(_l("— выберите район —"))),
            *district_choices(),
        ]


class LoginForm(FlaskForm):
    email = EmailField(_l("Электронная почта"), render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Пароль"), render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Войти"))


class CodeForm(FlaskForm):
    code = StringField(
        _l("Код из письма"),
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": "6"},
    )
    submit = SubmitField(_l("Подтвердить"))


class ActionForm(FlaskForm):
    """A button-only form: carries CSRF for POST actions such as «send code» or «sign out»."""

    submit = SubmitField(_l("Отправить"))
