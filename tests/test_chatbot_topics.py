"""The chatbot answers what its knowledge base covers (issue 16, nothing typed per phase).

A phase sets how many of the most asked question topics the chatbot's knowledge base answers
(``channels.chatbot.topics_covered``); the customers' questions spread over
``after_sale.question_topics`` topics by a Zipf law (``topic_skew``), the same at every
phase. The share of questions the bot resolves is then theory's H(k, s) / H(N, s)
(:func:`sim.journey.common.topic_share`), and the rest reach an agent. The test moves the
cause (12 -> 100 topics: the baseline's knowledge base and phase 6's) and checks the
resolved share of each against that theory, and that fewer contacts reach the contact
centre, over replications.
"""

from __future__ import annotations

import pytest
from ledger_helpers import counts_of_runs

from analysis.stats import mean_ci
from sim.journey.common import topic_share
from sim.runner import prepare

#: every contact starts in the chatbot (a customer parameter, raised so questions are many);
#: a short warm-up: the opening is the steady state and only counts are compared
BASE = ("segments.consumer.after_sale.chatbot_first=1",
        "segments.small_business.after_sale.chatbot_first=1",
        "segments.enterprise.after_sale.chatbot_first=1", "warmup=2 d")
SEEDS = (1, 2, 3)
DAYS = 20.0


def _runs(topics: int) -> list[dict[str, int]]:
    return counts_of_runs("baseline", (*BASE, f"channels.chatbot.topics_covered={topics}"),
                          SEEDS, DAYS)[0]


def _questions(n: dict[str, int]) -> tuple[int, int]:
    """Chatbot conversations that were not status questions, and those it answered."""
    asked = sum(v for k, v in n.items()
                if k.startswith("chatbot.") and k.count(".") == 1 and k != "chatbot.order_status")
    answered = sum(v for k, v in n.items()
                   if k.endswith(".answered") and not k.startswith("chatbot.order_status"))
    return asked, answered


@pytest.mark.slow
def test_more_topics_in_the_knowledge_base_resolve_theorys_share_of_questions() -> None:
    from scipy.stats import binomtest

    sc = prepare("baseline", BASE, seed=1, days=DAYS).scenario
    a = sc.segments["consumer"].after_sale
    runs = {}
    for topics in (12, 100):
        runs[topics] = _runs(topics)
        asked = sum(_questions(n)[0] for n in runs[topics])
        answered = sum(_questions(n)[1] for n in runs[topics])
        p = topic_share(a.question_topics, a.topic_skew, topics)
        ci = binomtest(answered, asked, p).proportion_ci(0.99, method="wilson")
        print(f"{topics} topics: answered {answered}/{asked} = {answered / asked:.3f} "
              f"[{ci.low:.3f}, {ci.high:.3f}], theory {p:.3f}")  # pytest -rP
        assert asked >= 300, asked
        assert ci.low <= p <= ci.high, (topics, answered, asked, p)
    # the effect downstream: contacts handed on to an agent fall (paired, same seeds)
    handed = {t: [n["contacts"] - n["contacts_self_served"] for n in runs[t]] for t in runs}
    diff = [b - x for x, b in zip(handed[12], handed[100], strict=True)]
    mean, lo, hi, _ = mean_ci(diff)
    # theory's size: the extra share answered times the questions asked per replication
    per_run = sum(_questions(n)[0] for n in runs[12]) / len(SEEDS)
    expected = -(topic_share(a.question_topics, a.topic_skew, 100)
                 - topic_share(a.question_topics, a.topic_skew, 12)) * per_run
    print(f"contacts reaching an agent, 100 - 12 topics: {mean:.1f} [{lo:.1f}, {hi:.1f}], "
          f"theory {expected:.1f}")
    assert hi < 0, (mean, lo, hi)
    assert lo <= expected <= hi, (mean, lo, hi, expected)


def test_topic_share_saturates() -> None:
    """Each topic added answers fewer questions than the one before; all topics answer all."""
    shares = [topic_share(1000, 0.5, k) for k in (0, 1, 12, 100, 1000, 2000)]
    assert shares[0] == 0.0 and shares[-2] == pytest.approx(1.0) and shares[-1] == shares[-2]
    gains = [topic_share(1000, 0.5, k + 1) - topic_share(1000, 0.5, k) for k in range(1, 50)]
    assert all(b < a for a, b in zip(gains, gains[1:], strict=False))
    assert topic_share(10, 0.0, 3) == pytest.approx(0.3)  # no skew: equally often
