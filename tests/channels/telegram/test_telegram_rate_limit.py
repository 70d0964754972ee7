"""The Telegram rate limiter: about one message a second per chat, 20 a minute per group, 30 a second overall."""

from __future__ import annotations

from bot.channels.telegram.sender import RateLimiter, RateLimits


class Ticker:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def send_times(limiter: RateLimiter, ticker: Ticker, chat_id: int, count: int) -> list[float]:
    """When each of `count` back-to-back messages may go out, relative to the first request."""
    start = ticker.now
    return [round(limiter.reserve(chat_id), 3) + ticker.now - start for _ in range(count)]


def test_private_chat_allows_a_short_burst_then_one_a_second():
    ticker = Ticker()
    limiter = RateLimiter(RateLimits(per_chat_interval=1.0, per_chat_burst=3), ticker)
    assert send_times(limiter, ticker, 42, 6) == [0.0, 0.0, 0.0, 1.0, 2.0, 3.0]


def test_other_chats_are_not_held_up_by_a_busy_one():
    ticker = Ticker()
    limiter = RateLimiter(RateLimits(), ticker)
    send_times(limiter, ticker, 42, 10)
    assert limiter.reserve(43) < 0.5


def test_group_gets_at_most_20_in_any_minute():
    ticker = Ticker()
    limiter = RateLimiter(RateLimits(overall_per_second=1000), ticker)
    times = send_times(limiter, ticker, -100123, 45)
    assert times[19] < 1 and times[20] >= 60 and times[40] >= 120
    assert all(sum(1 for t in times if start <= t < start + 60) <= 20 for start in times)


def test_overall_rate_is_30_a_second():
    ticker = Ticker()
    limiter = RateLimiter(RateLimits(), ticker)
    times = [limiter.reserve(chat) for chat in range(1, 121)]
    assert max(times) >= 3.0
    # the ticker starts on a whole second, so each whole second of waiting is one window
    assert all(sum(1 for t in times if second <= t < second + 1) <= 30 for second in range(5))


def test_flood_control_holds_the_chat_until_retry_after():
    ticker = Ticker()
    limiter = RateLimiter(RateLimits(), ticker)
    limiter.hold(42, 7)
    assert limiter.reserve(42) == 7
    assert limiter.reserve(43) == 0, "other chats go on"
    limiter.hold(-100123, 5)
    assert limiter.reserve(-100123) == 5
