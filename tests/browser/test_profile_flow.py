"""A member builds a profile and picks audiences in Chromium; visitors see only the public part."""

from playwright.sync_api import expect

from diaspora.models import Role
from tests.browser.navigation import menu
from tests.conftest import PASSWORD
from tests.factories import new_user


def test_member_builds_profile_and_public_sees_only_public_parts(app, page, live_server, browser):
    member = new_user(Role.MEMBER, name="Lan Nguyen", email="lan@example.org")
    page.goto(f"{live_server}/login")
    page.get_by_label("Email address").fill("lan@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    menu(page).get_by_role("link", name="My profile").click()

    page.get_by_label("Display name").fill("Nguyễn Thị Lan")
    page.get_by_label("Headline").fill("Data scientist for public health")
    page.get_by_label("About me").fill("Private bio about my family in Hanoi.")
    page.get_by_label("Country of origin").select_option("VN")
    page.get_by_label("Country of residence").select_option("DE")
    page.get_by_label("Mentoring").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()

    page.get_by_role("link", name="Add or remove skills").click()
    page.get_by_label("Skill", exact=True).fill("Data science")
    page.get_by_role("button", name="Add skill").click()
    expect(page.get_by_text("Skill added.")).to_be_visible()
    expect(page.get_by_role("heading", name="Your skills", level=1)).to_be_visible()
    page.get_by_label("Skill", exact=True).fill("Biostatistics")
    page.get_by_label("This is a skill").select_option("develop")
    page.get_by_role("button", name="Add skill").click()
    expect(page.get_by_text("Skill added.")).to_be_visible()

    page.get_by_role("link", name="Back to my profile").click()
    page.get_by_role("link", name="Add or remove languages").click()
    page.get_by_label("Language", exact=True).select_option("de")
    page.get_by_label("Level").select_option("native")
    page.get_by_role("button", name="Add language").click()
    expect(page.get_by_text("Language saved.")).to_be_visible()
    page.get_by_role("link", name="Back to my profile").click()
    skills = page.locator("#skills")
    expect(skills.get_by_text("Data science", exact=True)).to_be_visible()
    expect(skills.get_by_text("Biostatistics", exact=True)).to_be_visible()
    expect(page.locator("#languages").get_by_text("German")).to_be_visible()

    page.get_by_role("navigation", name="Profile pages").get_by_role("link", name="Privacy").click()
    page.get_by_label("Headline").select_option(label="Public")
    page.get_by_label("Skills and sectors").select_option(label="Public")
    page.get_by_label("About me").select_option(label="Only me")
    page.get_by_label("Turn on my public profile page").check()
    page.get_by_role("button", name="Save privacy settings").click()
    expect(page.get_by_text("Your privacy settings are saved.")).to_be_visible()

    page.get_by_role("link", name="See my profile as others do").click()
    preview = page.locator(".preview")
    expect(preview.get_by_text("Data scientist for public health")).to_be_visible()
    assert preview.get_by_text("Private bio").count() == 0

    visitor = browser.new_context()
    public_page = visitor.new_page()
    public_page.goto(f"{live_server}/members/{member.id}")
    expect(public_page.get_by_role("heading", name="Nguyễn Thị Lan")).to_be_visible()
    expect(public_page.get_by_text("Data scientist for public health")).to_be_visible()
    expect(public_page.get_by_text("Data science", exact=True)).to_be_visible()
    html = public_page.content()
    assert "Private bio" not in html and "Vietnam" not in html and "Viet Nam" not in html
    visitor.close()
