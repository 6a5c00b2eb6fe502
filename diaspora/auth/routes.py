"""Views of the account pages: each validates a form, hands one service call to the unit of
work, flashes and redirects. Links sent by email show a button: opening them changes
nothing (mail scanners open links too), pressing the button does."""

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from diaspora import i18n
from diaspora.auth import bp
from diaspora.auth.forms import (
    ApiKeyForm,
    ChangeEmailForm,
    ChangePasswordForm,
    EmailOnlyForm,
    LanguageForm,
    LoginForm,
    ResetPasswordForm,
    SignupForm,
)
from diaspora.extensions import limiter
from diaspora.forms import EmptyForm
from diaspora.main.errors import counts_against_limit
from diaspora.main.unit_of_work import form_refusal, unit_of_work
from diaspora.models import Role
from diaspora.security import is_safe_next, safe_next
from diaspora.services import accounts, api_keys

LOGIN_FAILED = _l("Email or password is incorrect.")


def _limit(name):
    return lambda: current_app.config[name]


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_limit("RATE_LIMIT_SIGNUP"), methods=["POST"], deduct_when=counts_against_limit)
def signup():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = SignupForm(role=request.args.get("role", "member"), next=_next_from_query())
    if form.validate_on_submit():
        going_to = _on_site(form.next.data)
        with form_refusal(form.password):
            unit_of_work(
                lambda: accounts.sign_up(
                    form.name.data,
                    form.email.data,
                    form.password.data,
                    Role(form.role.data),
                    going_to,
                    language=i18n.current(),
                )
            )
            return render_template(
                "auth/check_inbox.html", email=form.email.data, next_path=going_to
            )
    return render_template("auth/signup.html", form=form, next_path=_on_site(form.next.data))


def _on_site(path: str | None) -> str | None:
    """``path`` when it is a page on this site, else None: only such a ``next`` is kept."""
    return path if is_safe_next(path) else None


def _next_from_query() -> str:
    return _on_site(request.args.get("next")) or ""


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token):
    user = accounts.user_to_confirm(token)
    if user is None:
        flash(
            _("This confirmation link is invalid or has expired. Log in to get a new one."),
            "error",
        )
        return redirect(url_for("auth.login"))
    if not EmptyForm().validate_on_submit():
        return render_template("auth/confirm_link.html", address=user.email, new=False)
    going_to = accounts.confirmation_next(token)
    unit_of_work(lambda: accounts.confirm_email(token))
    flash(_("Your email address is confirmed. Welcome!"), "success")
    if current_user.is_authenticated:
        return redirect(safe_next(going_to))
    return redirect(url_for("auth.login", next=going_to))


@bp.post("/confirm/resend")
@login_required
@limiter.limit(_limit("RATE_LIMIT_RESET"), deduct_when=counts_against_limit)
def resend_confirmation():
    if EmptyForm().validate_on_submit() and not current_user.is_confirmed:
        unit_of_work(lambda: accounts.send_confirmation(current_user))
        flash(_("We sent a new confirmation link to %(email)s.", email=current_user.email), "info")
    return redirect(url_for("main.index"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_limit("RATE_LIMIT_LOGIN"), methods=["POST"], deduct_when=counts_against_limit)
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm(next=_next_from_query())
    if form.validate_on_submit():
        user = unit_of_work(
            lambda: accounts.authenticate(form.email.data, form.password.data, i18n.current())
        )
        if user is not None:
            login_user(user, remember=form.remember.data)
            return i18n.remember(redirect(safe_next(form.next.data)), user.language)
        form.email.errors = [*form.email.errors, str(LOGIN_FAILED)]
    return render_template("auth/login.html", form=form, next_path=_on_site(form.next.data))


@bp.post("/logout")
def logout():
    language = None
    if EmptyForm().validate_on_submit() and current_user.is_authenticated:
        language = current_user.language  # the pages after it stay in it
        unit_of_work(lambda: accounts.end_sessions(current_user))
        logout_user()
        flash(_("You are logged out."), "info")
    return i18n.remember(redirect(url_for("main.index")), language)


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(_limit("RATE_LIMIT_RESET"), methods=["POST"], deduct_when=counts_against_limit)
def forgot():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        unit_of_work(lambda: accounts.request_password_reset(form.email.data))
        flash(
            _("If an account uses that address, we have sent it a link to reset the password."),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_limit("RATE_LIMIT_RESET"), methods=["POST"], deduct_when=counts_against_limit)
def reset(token):
    if accounts.user_for_reset_token(token) is None:
        flash(_("This reset link is invalid, used or expired. Ask for a new one."), "error")
        return redirect(url_for("auth.forgot"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        with form_refusal(form.password):
            unit_of_work(lambda: accounts.reset_password(token, form.password.data))
            logout_user()
            flash(_("Your password is changed. Log in with the new one."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form)


def _account_page(password_form=None, email_form=None, language_form=None, status=200):
    return render_template(
        "auth/account.html",
        password_form=password_form or ChangePasswordForm(formdata=None),
        email_form=email_form or ChangeEmailForm(formdata=None),
        language_form=language_form
        or LanguageForm(formdata=None, language=i18n.locale_of(current_user)),
        resend_form=EmptyForm(),
    ), status


@bp.route("/account")
@login_required
def account():
    return _account_page()


@bp.post("/account/password")
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        with form_refusal(form.password):
            unit_of_work(
                lambda: accounts.change_password(
                    current_user, form.current_password.data, form.password.data
                )
            )
            login_user(current_user._get_current_object())
            flash(_("Your password is changed. Other devices have been logged out."), "success")
            return redirect(url_for("auth.account"))
    return _account_page(password_form=form, status=400)


@bp.post("/account/email")
@login_required
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        with form_refusal(form.email):
            unit_of_work(
                lambda: accounts.request_email_change(
                    current_user, form.current_password.data, form.email.data
                )
            )
            flash(
                _(
                    "We sent a confirmation link to the new address. Your address changes "
                    "when you follow it."
                ),
                "info",
            )
            return redirect(url_for("auth.account"))
    return _account_page(email_form=form, status=400)


@bp.post("/account/language")
@login_required
def change_language():
    """Save the language the member reads the site and their mail in; the flash that says
    so is already in that language, like the page it leads to."""
    form = LanguageForm()
    if form.validate_on_submit():
        code = form.language.data
        unit_of_work(lambda: accounts.set_language(current_user, code))
        with force_locale(code):
            # Translators: shown in the language just chosen; name your own language.
            flash(_("Saved: the site and your emails are now in English."), "success")
        return i18n.remember(redirect(url_for("auth.account")), code)
    return _account_page(language_form=form, status=400)


@bp.route("/account/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email_change(token):
    user = accounts.user_changing_email(token)
    if user is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        return render_template("auth/confirm_link.html", address=user.pending_email, new=True)
    unit_of_work(lambda: accounts.confirm_email_change(token))
    flash(_("Your new email address is confirmed."), "success")
    return redirect(url_for("auth.login"))


def _keys_page(form: ApiKeyForm, status: int = 200):
    return render_template(
        "auth/api_keys.html",
        keys=api_keys.keys_of(current_user),
        form=form,
        refusal=api_keys.why_no_keys(current_user),
        max_keys=api_keys.MAX_KEYS,
    ), status


@bp.route("/account/api-keys")
@login_required
def api_keys_page():
    return _keys_page(ApiKeyForm(formdata=None))


@bp.post("/account/api-keys")
@login_required
def create_api_key():
    """Create a key and show it, once, on this response: it is never flashed, put in the
    session or logged, and the page is not kept by any cache. The same form sent again
    (this page reloaded) creates nothing and goes to the list of keys."""
    form = ApiKeyForm()
    if form.validate_on_submit():
        try:
            with form_refusal(form.name):
                key, token = unit_of_work(
                    lambda: api_keys.create_key(
                        current_user, form.name.data, form.scope.data, form.once.data
                    )
                )
                response = make_response(
                    render_template("auth/api_key_created.html", key=key, token=token)
                )
                response.headers["Cache-Control"] = "no-store"
                return response
        except api_keys.AlreadyCreated as exc:
            flash(exc.message, "warning")
            return redirect(url_for("auth.api_keys_page"))
    return _keys_page(form, status=400)


@bp.route("/account/api-keys/<int:key_id>/revoke", methods=["GET", "POST"])
@login_required
def revoke_api_key(key_id):
    """Ask to confirm, then revoke one of one's own keys (anyone else's is not found)."""
    key = api_keys.key_of(current_user, key_id)
    form = EmptyForm()
    if form.validate_on_submit():
        unit_of_work(lambda: api_keys.revoke_key(current_user, key_id))
        flash(_("The key is revoked: it no longer works."), "success")
        return redirect(url_for("auth.api_keys_page"))
    return render_template("auth/api_key_revoke.html", key=key, form=form)
