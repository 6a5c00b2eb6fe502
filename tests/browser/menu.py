"""The site's main navigation in a browser test."""


def menu(page):
    """The main navigation, opened first where a narrow screen folds it into "Menu"."""
    page.wait_for_load_state()
    summary = page.locator("details.menu > summary")
    if summary.is_visible() and not summary.evaluate("s => s.parentElement.open"):
        summary.click()
    return page.get_by_role("navigation", name="Main")
