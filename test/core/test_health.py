"""Input health behind /diagnostics: rate, drops with their reason, and the OK / WARN / ERROR rules."""

import pytest

from hebbian_ros.core.health import ERROR, OK, WARN, HealthRules, InputHealth


class Drops:
    """What the node's rejection counter holds: drops so far and the last reason."""

    count = 0
    reason = ""


def feed(health, start, seconds, rate, drop_every=0, drops=None):
    """Messages at ``rate`` Hz from ``start`` for ``seconds``; every ``drop_every``-th one dropped."""
    for k in range(int(seconds * rate)):
        health.on_received(start + k / rate)
        if drop_every and k % drop_every == 0:
            drops.count += 1
            drops.reason = f"camera/image_raw: image: data length {k} != 12"


def test_steady_input_is_ok_with_its_rate():
    health = InputHealth(("camera/image_raw",), HealthRules(window=5.0), now=0.0)
    for second in range(10):
        feed(health, second, 1.0, 30)
        report = health.report(second + 1.0)
    assert report.level == OK and report.message == "ok"
    values = dict(report.values)
    assert float(values["input rate [Hz]"]) == pytest.approx(30, abs=0.5)
    assert values["messages received"] == "300" and values["messages dropped"] == "0"
    assert values["last drop reason"] == "none"


def test_input_that_stops_warns_after_stale_after():
    health = InputHealth(("camera/image_raw",), HealthRules(stale_after=2.0), now=0.0)
    feed(health, 0.0, 3.0, 30)
    assert health.report(3.5).level == OK
    report = health.report(5.5)
    assert report.level == WARN and "input stopped" in report.message and "camera/image_raw" in report.message
    assert float(dict(report.values)["input rate [Hz]"]) < 30


def test_no_input_yet_warns_only_after_a_grace_period():
    health = InputHealth(("hebbian/recognition",), HealthRules(stale_after=3.0), now=10.0)
    assert health.report(11.0).level == OK
    report = health.report(13.5)
    assert report.level == WARN and "no input yet" in report.message
    assert dict(report.values)["seconds since last input"] == "never"


def test_drops_above_the_ratio_warn_with_the_last_reason_and_all_dropped_is_error():
    health = InputHealth(("camera/image_raw",), HealthRules(max_drop_ratio=0.1, window=2.0), now=0.0)
    drops = Drops()
    feed(health, 0.0, 1.0, 30, drop_every=20, drops=drops)  # 2 of 30: below 10 %
    assert health.report(1.0, drops.count, drops.reason).level == OK
    feed(health, 1.0, 1.0, 30, drop_every=3, drops=drops)  # 10 of 30 in this second
    report = health.report(2.0, drops.count, drops.reason)
    assert report.level == WARN and "dropped" in report.message and "data length" in report.message
    values = dict(report.values)
    assert values["messages dropped"] == "12"
    assert values["last drop reason"].startswith("camera/image_raw: image: data length")
    feed(health, 2.0, 3.0, 30, drop_every=1, drops=drops)
    assert health.report(5.0, drops.count, drops.reason).level == ERROR
    feed(health, 5.0, 3.0, 30)  # healthy again once the window has passed
    assert health.report(8.0, drops.count, drops.reason).level == OK


def test_a_source_without_inputs_never_warns_for_silence():
    health = InputHealth((), now=0.0)
    report = health.report(100.0)
    assert report.level == OK and dict(report.values)["input topics"] == "none"


@pytest.mark.parametrize("rules", [dict(stale_after=0), dict(window=-1), dict(max_drop_ratio=1.5)])
def test_bad_rules_name_the_argument(rules):
    with pytest.raises(ValueError, match=next(iter(rules))):
        HealthRules(**rules)
