"""Views of the account pages: each validates a form, calls one service, commits."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from diaspora.auth import bp
from diaspora.auth.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    EmailOnlyForm,
    EmptyForm,
    LoginForm,
    ResetPasswordForm,
    SignupForm,
)
from diaspora.extensions import db, limiter
from diaspora.main.errors import counts_against_limit
from diaspora.models import Role
from diaspora.security import safe_next
from diaspora.services import accounts
from diaspora.services.accounts import AccountError

LOGIN_FAILED = "Email or password is incorrect."


def _limit(name):
    return lambda: current_app.config[name]


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_limit("RATE_LIMIT_SIGNUP"), methods=["POST"], deduct_when=counts_against_limit)
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = SignupForm(role=request.args.get("role", "member"))
    if form.validate_on_submit():
        try:
            accounts.sign_up(
                form.name.data, form.email.data, form.password.data, Role(form.role.data)
            )
        except AccountError as exc:
            form.password.errors.append(str(exc))
        else:
            db.session.commit()
            return render_template("auth/check_inbox.html", email=form.email.data)
    return render_template("auth/signup.html", form=form)


@bp.route("/confirm/<token>")
def confirm(token):
    user = accounts.confirm_email(token)
    if user is None:
        flash("This confirmation link is invalid or has expired. Log in to get a new one.", "error")
        return redirect(url_for("auth.login"))
    db.session.commit()
    flash("Your email address is confirmed. Welcome!", "success")
    return redirect(
        url_for("main.index") if current_user.is_authenticated else url_for("auth.login")
    )


@bp.post("/confirm/resend")
@login_required
@limiter.limit(_limit("RATE_LIMIT_RESET"), deduct_when=counts_against_limit)
def resend_confirmation():
    if EmptyForm().validate_on_submit() and not current_user.is_confirmed:
        accounts.send_confirmation(current_user)
        db.session.commit()
        flash(f"We sent a new confirmation link to {current_user.email}.", "info")
    return redirect(url_for("main.index"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_limit("RATE_LIMIT_LOGIN"), methods=["POST"], deduct_when=counts_against_limit)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(form.next.data))
        db.session.rollback()
        flash(LOGIN_FAILED, "error")
        return render_template("auth/login.html", form=form), 200
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    if EmptyForm().validate_on_submit() and current_user.is_authenticated:
        accounts.end_sessions(current_user)
        db.session.commit()
        logout_user()
        flash("You are logged out.", "info")
    return redirect(url_for("main.index"))


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(_limit("RATE_LIMIT_RESET"), methods=["POST"], deduct_when=counts_against_limit)
def forgot():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        db.session.commit()
        flash(
            "If an account uses that address, we have sent it a link to reset the password.", "info"
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_limit("RATE_LIMIT_RESET"), methods=["POST"], deduct_when=counts_against_limit)
def reset(token):
    if accounts.user_for_reset_token(token) is None:
        flash("This reset link is invalid, used or expired. Ask for a new one.", "error")
        return redirect(url_for("auth.forgot"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data)
        except AccountError as exc:
            form.password.errors.append(str(exc))
        else:
            db.session.commit()
            logout_user()
            flash("Your password is changed. Log in with the new one.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form)


@bp.route("/account")
@login_required
def account():
    return render_template(
        "auth/account.html",
        password_form=ChangePasswordForm(),
        email_form=ChangeEmailForm(),
        resend_form=EmptyForm(),
    )


@bp.post("/account/password")
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data, form.password.data)
        except AccountError as exc:
            form.password.errors.append(str(exc))
        else:
            db.session.commit()
            login_user(current_user._get_current_object())
            flash("Your password is changed. Other devices have been logged out.", "success")
            return redirect(url_for("auth.account"))
    return render_template(
        "auth/account.html",
        password_form=form,
        email_form=ChangeEmailForm(),
        resend_form=EmptyForm(),
    ), 400


@bp.post("/account/email")
@login_required
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            accounts.request_email_change(current_user, form.current_password.data, form.email.data)
        except AccountError as exc:
            form.email.errors.append(str(exc))
        else:
            db.session.commit()
            flash(
                "We sent a confirmation link to the new address. Your address changes when "
                "you follow it.",
                "info",
            )
            return redirect(url_for("auth.account"))
    return render_template(
        "auth/account.html",
        password_form=ChangePasswordForm(),
        email_form=form,
        resend_form=EmptyForm(),
    ), 400


@bp.route("/account/email/confirm/<token>")
def confirm_email_change(token):
    user = accounts.confirm_email_change(token)
    if user is None:
        abort(404)
    db.session.commit()
    flash("Your new email address is confirmed.", "success")
    return redirect(url_for("auth.login"))
