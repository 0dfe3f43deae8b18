"""Automatic checks run when an idea or comment is written.

Each check is a pure function of the text returning `Finding`s; none of them decides
anything: in post-moderation an item with findings is held for a moderator, who decides.
"""

from moderation.findings.base import Finding
from moderation.findings.links import find_links_and_spam
from moderation.findings.personal_data import find_personal_data
from moderation.findings.profanity import find_profanity

__all__ = ["Finding", "check_text", "find_links_and_spam", "find_personal_data", "find_profanity"]


def check_text(text: str) -> list[Finding]:
    """Every text check, in a stable order: profanity, personal data, links and spam."""
    return [*find_profanity(text), *find_personal_data(text), *find_links_and_spam(text)]
