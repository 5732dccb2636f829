"""The offline analyzer on helpdesk tickets: one support-triage skill, problem categories with the steps
that closed them, unresolved tickets as pitfalls, no customer data in any rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from skillforge.distill.heuristic.ticket_lessons import skill_name, ticket_digest, ticket_lessons
from skillforge.ingest import read_paths
from skillforge.models import Lesson, Outcome, Source, Step, Trace
from skillforge.skills.rules import rule_line, tag

CSV = """Ticket ID,Subject,Description,Status,Tags,Conversation,Resolution
T-101,Cannot log in after password reset,"Hi, my new password is rejected. Thanks, Priya","Solved",login,"Customer: The new password is rejected.
Agent: Thanks Priya. Is your account linked to Google sign-in?
Customer: Yes it is.
Agent: Please use Sign in with Google.
Customer: That worked, thanks!","Account uses Google SSO; told the customer to sign in with Google."
T-102,Login fails after password change,"My password change did not take effect, email priya.k@example.com","Resolved",login,"Customer: Still cannot log in.
Agent: Is your account linked to a company SSO?
Customer: Yes, Okta.
Customer: All good now.","Account uses Okta SSO; sent the customer the SSO sign-in link."
T-103,Charged twice for order 5521,"I was charged twice for order #5521 by card ending 4242.","Closed",billing,"Customer: Charged twice.
Agent: I refunded the second capture under Billing > Payments.
Customer: Received, all good.","Refunded the duplicate capture on order #5521 in Billing > Payments."
T-104,Agent install broken,"The agent does not start after the update.","Resolved",install,"Customer: agent dead
Agent: Reinstall it.
Customer: Works now.","Reinstalled the agent with curl -s https://get.example.com/install.sh | sh; restarted the service."
T-105,Export to CSV times out,"Export of a large project fails with 504.","Open",export,"Customer: Export fails with 504.
Agent: Reproduced on our side; escalating to engineering.",
"""


@pytest.fixture(scope="module")
def lessons(tmp_path_factory: pytest.TempPathFactory) -> list[Lesson]:
    path = tmp_path_factory.mktemp("tickets") / "export.csv"
    path.write_text(CSV, encoding="utf-8")
    traces = [t for t in read_paths([path]) if isinstance(t, Trace)]
    assert len(traces) == 5
    return ticket_lessons([ticket_digest(t) for t in traces])


def test_one_support_triage_skill(lessons: list[Lesson]) -> None:
    assert {l.target_skill for l in lessons} == {"customer-support-triage"}


def test_categories_get_known_issues_with_their_steps(lessons: list[Lesson]) -> None:
    login = [l for l in lessons if tag(l, "ref") == "login" and tag(l, "section") == "triage"]
    assert login, [l.title for l in lessons]
    assert all(l.kind == "recovery" and l.harmful == 0 for l in login)
    billing = next(l for l in lessons if tag(l, "ref") == "billing")
    assert "Refunded the duplicate capture" in billing.body


def test_no_customer_data_in_rules(lessons: list[Lesson]) -> None:
    for lesson in lessons:
        text = rule_line(lesson) + "\n" + "\n".join(ln for ln in lesson.body.split("\n") if ln[:2].rstrip(".").isdigit())
        for secret in ("Priya", "priya.k@example.com", "5521", "4242", "get.example.com"):
            assert secret not in text, (secret, text)


def test_shell_commands_stay_code_spans(lessons: list[Lesson]) -> None:
    install = next(l for l in lessons if tag(l, "ref") == "install")
    lines = [ln for ln in install.body.split("\n") if "curl" in ln]
    assert lines and all("`curl" in ln for ln in lines), lines


def test_unresolved_ticket_is_a_pitfall(lessons: list[Lesson]) -> None:
    pitfall = next(l for l in lessons if tag(l, "section") == "pitfalls")
    assert pitfall.kind == "pitfall" and pitfall.helpful == 0 and pitfall.harmful == 1
    assert rule_line(pitfall).startswith("Do not promise a fix when a customer reports “Export to CSV times out”")
    assert not any(tag(l, "ref") == "export" and tag(l, "section") == "triage" for l in lessons)


def test_practices_come_from_several_tickets(lessons: list[Lesson]) -> None:
    practices = {l.title: l for l in lessons if tag(l, "scope") == "general"}
    confirm = practices["Close only after the customer confirms"]
    assert confirm.support == 4 and confirm.harmful == 0
    ask = practices["Ask for the deciding detail in the first reply"]
    assert ask.support == 2
    assert "Is your account linked to Google sign-in?" in {e.quote for e in ask.evidence}
    words = {t.removeprefix("keyword:") for t in confirm.tags if t.startswith("keyword:")}
    assert {"support", "login"} <= words


def test_product_names_the_skill() -> None:
    def ticket(n: int, product: str) -> Trace:
        return Trace(id=f"t{n}", kind="ticket", source=Source(path="x.json", format="tickets"), task="Sync stops",
                     steps=[Step(role="assistant", text="Resolution:\nRe-linked the account.")],
                     outcome=Outcome(success=True), metadata={"product": product})

    digests = [ticket_digest(ticket(n, "Acme Drive")) for n in range(3)]
    assert skill_name(digests, repo=False) == "acme-drive-support-triage"
    assert {l.target_skill for l in ticket_lessons(digests)} == {"acme-drive-support-triage"}


def test_jira_tickets_give_a_helpdesk_skill_that_says_what_it_resolves(tmp_path: Path) -> None:
    from skillforge.distill.describe import describe

    fixture = Path(__file__).parent.parent / "data" / "fixtures" / "tickets" / "jira_search.json"
    traces = [t for t in read_paths([fixture]) if isinstance(t, Trace)]
    lessons = ticket_lessons([ticket_digest(t) for t in traces])
    known = next(rule_line(l) for l in lessons if "Export to CSV" in rule_line(l))
    # "; it runs as a job …" explains the step before it: one step, not two.
    assert known.endswith("Use Export > Background export; it runs as a job and e-mails the file.")
    declined = next(rule_line(l) for l in lessons if "dark mode" in rule_line(l))
    assert declined.endswith("an earlier report is closed as won't do.")  # not "still open"
    text = describe("customer-support-triage", lessons)
    assert text.startswith("Resolve customer support tickets the way earlier ones were resolved")
    assert "reproduce, find the fix" not in text and "general" not in text and "ticket or" not in text
