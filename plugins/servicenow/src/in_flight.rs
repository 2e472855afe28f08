//! How many requests the sink keeps in flight: learned from the instance's answers, as
//! additive-increase/multiplicative-decrease congestion control does it.
//!
//! A fixed number is wrong for most instances: too few, and a burst of new incidents waits in a
//! queue while the instance idles (four requests at a time against an instance that answers in
//! 5 ms left new incidents 300 ms behind their alerts); too many, and a busy instance is pushed
//! into 429s and timeouts. So the limit starts at four (or the ceiling, if lower), doubles
//! each round trip that uses it all until the instance first slows down or pushes back (a
//! burst of new incidents should not wait for the limit to creep up), and from then on, once
//! per round trip:
//!
//! - grows by one while every request of the round trip was needed (the limit was reached) and
//!   their round trips stayed near the usual (an average over many); near the limit at which
//!   the instance last pushed back, only once in a while, so that probing the instance's
//!   capacity costs it few refusals;
//! - shrinks to nine tenths when round trips grow well past the usual (the instance queues);
//! - halves when the instance pushes back: 429, 5xx, a timeout;
//!
//! within `1..=max_concurrent_requests`. A 429's `Retry-After` (or a 503's) also closes the
//! gate, for at most two seconds: until then no request is sent, each answered at once as rate
//! limited with the time the instance asked for, so the host waits it out instead of spending
//! the instance's quota on refusals. A short `Retry-After` also sets a pace: the requests the instance took since the gate last opened, over the
//! time until it opens again, per second; requests then go out no faster, the pace rising a
//! twentieth each second until the instance pushes back again (or it no longer binds).

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How far a round trip may exceed the usual before it counts as the instance queueing: the
/// usual plus this many deviations (the figure Vector's adaptive concurrency uses)...
const DEVIATIONS: f64 = 2.5;
/// ...and at least this share of the usual: a round trip must take twice the usual before it
/// counts. Round trips vary that much when this host's own cores are busy (a burst of response
/// actions starting processes on the same machine), and a slowdown taken for the instance's
/// ended the doubling at four or five in flight, leaving a burst of new incidents to queue
/// while the limit crept up by one; an instance that queues shows it many times over.
const MIN_SLACK: f64 = 1.0;
/// The weight of a new round trip in the usual one.
const EWMA_WEIGHT: f64 = 0.4;
/// The limit to start with: what a fixed limit used to be.
const START: usize = 4;
/// The limit after a slowdown, as a share of the limit before.
const SLOWDOWN_DECREASE: f64 = 0.9;
/// The limit after a push back, as a share of the limit before.
const PUSH_BACK_DECREASE: f64 = 0.5;
/// Round trips to wait at one below the limit that was pushed back before trying it again.
const PROBE_AFTER: u32 = 16;
/// How much the pace rises each second without a push back.
const PACE_RISE: f64 = 1.05;
/// The longest the gate stays closed after a `Retry-After`.
const GATE_LIMIT: Duration = Duration::from_secs(2);

/// What [`Limiter::take`] found.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Take {
    /// A place, taken.
    Go,
    /// Every place is taken: wait for one to be left.
    Full,
    /// The pace allows the next request this much later.
    Wait(Duration),
    /// A `Retry-After` lasts this much longer.
    Closed(Duration),
}

/// Requests per second the instance takes, learned from a `Retry-After`.
#[derive(Debug, Clone, Copy)]
struct Pace {
    per_second: f64,
    /// The next request not before then.
    next: Instant,
    /// When the pace last rose.
    raised: Instant,
    /// The quickest round trip (a window's mean) since the pace was learned, seconds;
    /// infinite until one is known.
    fastest: f64,
}

/// What an answer says about the instance's load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Load {
    /// Answered (any status but the ones below): its round trip counts.
    Answered,
    /// 429, 5xx or a timeout; with how long the instance asked us to wait, if it did.
    PushedBack(Option<Duration>),
    /// No answer that says anything about load (a refused connection, a bad request).
    Unknown,
}

/// The limit and what it is learned from, without locking or clocks: the decisions.
#[derive(Debug)]
struct Limiter {
    limit: usize,
    ceiling: usize,
    in_flight: usize,
    /// The usual round trip and its spread, in seconds, once known.
    usual: Option<(f64, f64)>,
    /// This round trip's window: when it started, its round trips, whether the limit was
    /// reached and whether the instance pushed back.
    window_start: Instant,
    sum: f64,
    count: u32,
    reached: bool,
    pushed_back: bool,
    /// No request before then (a `Retry-After`, at most `GATE_LIMIT`).
    closed_until: Option<Instant>,
    /// When the instance asked to be tried again: what a request held at the gate reports.
    asked_until: Option<Instant>,
    /// Whether the limit still doubles: until the instance first slows down or pushes back.
    slow_start: bool,
    /// The limit at which the instance last pushed back, and the calm round trips since the
    /// limit came back up to just below it.
    pushed_back_at: Option<usize>,
    calm: u32,
    /// When the limit was last cut for a push back.
    last_cut: Option<Instant>,
    /// When requests last started going out after a `Retry-After`, how many were answered
    /// since, and the pace learned from them.
    opened: Instant,
    accepted: u32,
    pace: Option<Pace>,
}

impl Limiter {
    fn new(ceiling: usize, now: Instant) -> Limiter {
        Limiter {
            limit: START.min(ceiling.max(1)),
            slow_start: true,
            ceiling: ceiling.max(1),
            in_flight: 0,
            usual: None,
            window_start: now,
            sum: 0.0,
            count: 0,
            reached: false,
            pushed_back: false,
            closed_until: None,
            asked_until: None,
            pushed_back_at: None,
            calm: 0,
            last_cut: None,
            opened: now,
            accepted: 0,
            pace: None,
        }
    }

    /// Takes a place for a request if one is free and the pace allows it.
    fn take(&mut self, now: Instant) -> Take {
        if let Some(until) = self.closed_until {
            if now < until {
                let asked = self.asked_until.unwrap_or(until).max(until);
                return Take::Closed(asked - now);
            }
            self.closed_until = None;
            self.asked_until = None;
            self.opened = now;
            self.accepted = 0;
        }
        if let Some(pace) = &mut self.pace {
            if now < pace.next {
                return Take::Wait(pace.next - now);
            }
        }
        if self.in_flight >= self.limit {
            return Take::Full;
        }
        self.in_flight += 1;
        self.reached |= self.in_flight >= self.limit;
        self.keep_pace(now);
        Take::Go
    }

    /// Closes the gate for a `Retry-After` of `wait`. The gate holds the batch in hand, for at
    /// most `GATE_LIMIT`; the host's retry policy, which caps a long `Retry-After`, decides
    /// when the next batch goes.
    fn hold(&mut self, wait: Duration, now: Instant) {
        let until = now + wait.min(GATE_LIMIT);
        self.closed_until = Some(self.closed_until.map_or(until, |u| u.max(until)));
        let asked = now + wait;
        self.asked_until = Some(self.asked_until.map_or(asked, |u| u.max(asked)));
    }

    /// Spaces the next request by the pace, which rises while it is kept; drops the pace once
    /// the limit binds before it does.
    fn keep_pace(&mut self, now: Instant) {
        let Some(pace) = &mut self.pace else {
            return;
        };
        if now.duration_since(pace.raised) >= Duration::from_secs(1) {
            pace.per_second *= PACE_RISE;
            pace.raised = now;
        }
        pace.next = pace.next.max(now) + Duration::from_secs_f64(1.0 / pace.per_second);
        // Unbound when even the quickest round trips would fill every place before the pace
        // held them back: the instance takes more now than the pace was learned at. (Not the
        // usual round trip: a stall makes it long for a while, and a pace dropped then sends
        // a burst into the rate limit once round trips are quick again.)
        let unbound =
            pace.fastest.is_finite() && pace.per_second * pace.fastest > self.ceiling as f64;
        if unbound {
            self.pace = None;
        }
    }

    /// A `Retry-After` of `wait` arrived at `now`: the pace is what the instance took since
    /// the gate last opened, over the time until it opens again.
    fn learn_pace(&mut self, wait: Duration, now: Instant) {
        let period = now.duration_since(self.opened) + wait;
        let per_second = (f64::from(self.accepted) / period.as_secs_f64().max(0.001)).max(0.1);
        let per_second = match self.pace {
            // Pushed back at the pace learned: slower still.
            Some(pace) if self.accepted == 0 => pace.per_second * PUSH_BACK_DECREASE,
            _ => per_second,
        };
        self.pace = Some(Pace {
            per_second,
            next: now + wait,
            raised: now + wait,
            fastest: self.usual.map_or(f64::INFINITY, |(mean, _)| mean),
        });
    }

    /// A request ended after `rtt`, saying `load`.
    fn done(&mut self, rtt: Duration, load: Load, now: Instant) {
        self.in_flight = self.in_flight.saturating_sub(1);
        match load {
            Load::Answered => {
                self.sum += rtt.as_secs_f64();
                self.count += 1;
                self.accepted += 1;
            }
            Load::PushedBack(wait) => {
                // A request sent before the last cut was answered under the old limit: that
                // cut already took it into account.
                let sent = now.checked_sub(rtt).unwrap_or(now);
                let counted = self.last_cut.is_some_and(|cut| sent < cut);
                if let Some(wait) = wait {
                    self.hold(wait, now);
                    // A short wait is a rate over a short period, which a pace can keep to;
                    // a long one is a quota spent, which only time restores.
                    if !counted && wait <= GATE_LIMIT {
                        self.learn_pace(wait, now);
                    }
                }
                if counted {
                    return;
                }
                // A push back acts at once: the requests already waiting should not go out.
                self.pushed_back = true;
                self.adjust(now);
                return;
            }
            Load::Unknown => {}
        }
        let window = self.usual.map_or(0.0, |(mean, _)| mean);
        if now.duration_since(self.window_start).as_secs_f64() >= window {
            self.adjust(now);
        }
    }

    /// The end of a window: the limit moves, the usual round trip learns.
    fn adjust(&mut self, now: Instant) {
        let current = (self.count > 0).then(|| self.sum / f64::from(self.count));
        if self.pushed_back {
            self.pushed_back_at = Some(self.limit);
            self.calm = 0;
            self.last_cut = Some(now);
            self.limit = scaled(self.limit, PUSH_BACK_DECREASE);
            self.slow_start = false;
        } else if let Some(current) = current {
            match self.usual {
                Some((mean, spread))
                    if current > mean + (DEVIATIONS * spread).max(MIN_SLACK * mean) =>
                {
                    self.limit = scaled(self.limit, SLOWDOWN_DECREASE);
                    self.slow_start = false;
                }
                _ if self.reached && self.limit < self.ceiling => self.grow(),
                _ => {}
            }
            if let Some(pace) = &mut self.pace {
                pace.fastest = pace.fastest.min(current);
            }
            self.usual = Some(match self.usual {
                None => (current, 0.0),
                Some((mean, spread)) => (
                    mean + EWMA_WEIGHT * (current - mean),
                    spread + EWMA_WEIGHT * ((current - mean).abs() - spread),
                ),
            });
        }
        self.window_start = now;
        self.sum = 0.0;
        self.count = 0;
        self.reached = self.in_flight >= self.limit;
        self.pushed_back = false;
    }
}

impl Limiter {
    /// One more in flight: at once, or after `PROBE_AFTER` calm round trips when that is the
    /// limit the instance pushed back at.
    fn grow(&mut self) {
        if self.slow_start {
            self.limit = (self.limit * 2).min(self.ceiling);
            return;
        }
        match self.pushed_back_at {
            Some(at) if self.limit + 1 < at => self.limit += 1,
            Some(at) if self.limit < at => {
                self.calm += 1;
                if self.calm >= PROBE_AFTER {
                    self.calm = 0;
                    self.limit += 1;
                }
            }
            // At or past it for a whole calm round trip: the instance takes more now.
            Some(_) => {
                self.pushed_back_at = None;
                self.limit += 1;
            }
            None => self.limit += 1,
        }
    }
}

/// `limit` times `share`, rounded down, at least 1.
fn scaled(limit: usize, share: f64) -> usize {
    ((limit as f64 * share).floor() as usize).max(1)
}

/// The limit shared by the threads of a sink: [`InFlightLimit::enter`] before each request.
#[derive(Debug)]
pub(crate) struct InFlightLimit {
    limiter: Mutex<Limiter>,
    freed: Condvar,
    adaptive: bool,
}

impl InFlightLimit {
    /// Up to `ceiling` requests at once; learned from the answers when `adaptive`, else always
    /// `ceiling`.
    pub(crate) fn new(ceiling: usize, adaptive: bool) -> InFlightLimit {
        let mut limiter = Limiter::new(ceiling, Instant::now());
        if !adaptive {
            limiter.limit = limiter.ceiling;
        }
        InFlightLimit {
            limiter: Mutex::new(limiter),
            freed: Condvar::new(),
            adaptive,
        }
    }

    /// Waits for a place and takes it; `Err(left)` while a `Retry-After` lasts.
    pub(crate) fn enter(&self) -> Result<Place<'_>, Duration> {
        let mut limiter = self.lock();
        loop {
            match limiter.take(Instant::now()) {
                Take::Go => {
                    return Ok(Place {
                        limit: self,
                        started: Instant::now(),
                    })
                }
                Take::Full => {
                    limiter = self
                        .freed
                        .wait(limiter)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                Take::Wait(pause) => {
                    limiter = self
                        .freed
                        .wait_timeout(limiter, pause)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
                Take::Closed(left) => return Err(left),
            }
        }
    }

    /// The current limit.
    #[cfg(test)]
    fn limit(&self) -> usize {
        self.lock().limit
    }

    fn lock(&self) -> MutexGuard<'_, Limiter> {
        self.limiter.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A request's place in flight; [`Place::leave`] says what its answer showed.
#[derive(Debug)]
pub(crate) struct Place<'a> {
    limit: &'a InFlightLimit,
    started: Instant,
}

impl Place<'_> {
    /// The request ended, its answer saying `load`.
    pub(crate) fn leave(self, load: Load) {
        let now = Instant::now();
        let mut limiter = self.limit.lock();
        if self.limit.adaptive {
            limiter.done(now - self.started, load, now);
        } else {
            limiter.in_flight = limiter.in_flight.saturating_sub(1);
            if let Load::PushedBack(Some(wait)) = load {
                limiter.hold(wait, now);
            }
        }
        drop(limiter);
        self.limit.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// Runs `rounds` windows of `limit` requests each taking `rtt`, all answered `load`.
    fn rounds(l: &mut Limiter, now: &mut Instant, n: usize, rtt: Duration, load: Load) {
        for _ in 0..n {
            let mut started = 0;
            while l.take(*now) == Take::Go {
                started += 1;
            }
            *now += rtt;
            for _ in 0..started {
                l.done(rtt, load, *now);
            }
        }
    }

    #[test]
    fn a_fast_instance_lets_the_limit_grow_to_the_ceiling() {
        let mut now = Instant::now();
        let mut l = Limiter::new(32, now);
        assert_eq!(l.limit, START);
        rounds(&mut l, &mut now, 2, 5 * MS, Load::Answered);
        assert_eq!(l.limit, 16, "doubled each round trip at first");
        rounds(&mut l, &mut now, 40, 5 * MS, Load::Answered);
        assert_eq!(l.limit, 32, "never past the ceiling");
    }

    #[test]
    fn after_the_first_slowdown_the_limit_grows_by_one() {
        let mut now = Instant::now();
        let mut l = Limiter::new(64, now);
        rounds(&mut l, &mut now, 3, 5 * MS, Load::Answered);
        // The window that sees it also holds the previous round's last answers.
        rounds(&mut l, &mut now, 1, 200 * MS, Load::Answered);
        let after = l.limit;
        assert!(after < 32, "{after}");
        rounds(&mut l, &mut now, 3, 5 * MS, Load::Answered);
        assert!(l.limit <= after + 3, "{after} -> {}", l.limit);
    }

    /// Round trips half as long again as the usual are this host's cores being busy, not the
    /// instance queueing: the limit goes on doubling.
    #[test]
    fn round_trips_up_to_twice_the_usual_do_not_end_the_doubling() {
        let mut now = Instant::now();
        let mut l = Limiter::new(64, now);
        rounds(&mut l, &mut now, 1, 7 * MS, Load::Answered);
        for rtt in [11, 13, 12] {
            rounds(&mut l, &mut now, 1, rtt * MS, Load::Answered);
        }
        assert_eq!(l.limit, 64, "4 doubled four times");
    }

    #[test]
    fn round_trips_well_past_the_usual_shrink_the_limit() {
        let mut now = Instant::now();
        let mut l = Limiter::new(32, now);
        rounds(&mut l, &mut now, 30, 5 * MS, Load::Answered);
        let before = l.limit;
        rounds(&mut l, &mut now, 3, 40 * MS, Load::Answered);
        assert!(l.limit < before, "{} -> {}", before, l.limit);
    }

    #[test]
    fn a_push_back_halves_the_limit_and_a_retry_after_closes_the_gate() {
        let mut now = Instant::now();
        let mut l = Limiter::new(32, now);
        rounds(&mut l, &mut now, 30, 5 * MS, Load::Answered);
        let before = l.limit;
        assert_eq!(l.take(now), Take::Go);
        l.done(5 * MS, Load::PushedBack(Some(Duration::from_secs(60))), now);
        assert_eq!(l.limit, before / 2);
        // Held for two seconds at most, told the instance's whole wait.
        assert_eq!(
            l.take(now + Duration::from_secs(1)),
            Take::Closed(Duration::from_secs(59))
        );
        assert_eq!(l.take(now + Duration::from_secs(2)), Take::Go);
    }

    /// A limiter that saw 40 requests answered in 200 ms, then a 429 asking to wait a second;
    /// and the time that second is over.
    fn pushed_back_after_forty() -> (Limiter, Instant) {
        let mut now = Instant::now();
        let mut l = Limiter::new(16, now);
        for _ in 0..40 {
            assert_eq!(l.take(now), Take::Go);
            now += 5 * MS;
            l.done(5 * MS, Load::Answered, now);
        }
        assert_eq!(l.take(now), Take::Go);
        l.done(MS, Load::PushedBack(Some(Duration::from_secs(1))), now);
        (l, now + Duration::from_secs(1))
    }

    #[test]
    fn a_retry_after_sets_the_pace_the_instance_took() {
        let (mut l, now) = pushed_back_after_forty();
        // 40 in 1.2 s: one request every 30 ms.
        assert_eq!(l.take(now), Take::Go);
        l.done(MS, Load::Answered, now);
        match l.take(now) {
            Take::Wait(pause) => assert!((29..=31).contains(&pause.as_millis()), "{pause:?}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(l.take(now + 30 * MS), Take::Go);
    }

    /// A stall (the instance, or this host, slow for a moment) makes round trips long: the
    /// limit on requests in flight then binds before the pace does. The pace must outlive it:
    /// dropped, the round trips back to normal sent a burst into the rate limit.
    #[test]
    fn a_learned_pace_outlives_a_stall() {
        let (mut l, mut now) = pushed_back_after_forty();
        // A stall: each request answered after 800 ms, at the pace.
        for _ in 0..20 {
            loop {
                match l.take(now) {
                    Take::Go => break,
                    Take::Wait(pause) => now += pause,
                    other => panic!("{other:?}"),
                }
            }
            l.done(800 * MS, Load::Answered, now);
        }
        // Quick again: the next requests still keep to the pace.
        assert_eq!(l.take(now + 30 * MS), Take::Go);
        l.done(5 * MS, Load::Answered, now + 30 * MS);
        assert!(
            matches!(l.take(now + 31 * MS), Take::Wait(_)),
            "the pace was dropped"
        );
    }

    #[test]
    fn the_limit_that_was_pushed_back_is_tried_again_only_after_calm_round_trips() {
        let mut now = Instant::now();
        let mut l = Limiter::new(32, now);
        (l.limit, l.slow_start) = (8, false);
        assert_eq!(l.take(now), Take::Go);
        l.done(5 * MS, Load::PushedBack(None), now);
        assert_eq!(l.limit, 4);
        rounds(&mut l, &mut now, 3, 5 * MS, Load::Answered);
        assert_eq!(
            l.limit, 7,
            "back quickly to just below where it was pushed back"
        );
        rounds(
            &mut l,
            &mut now,
            PROBE_AFTER as usize - 1,
            5 * MS,
            Load::Answered,
        );
        assert_eq!(l.limit, 7, "waits before trying 8 again");
        rounds(&mut l, &mut now, 1, 5 * MS, Load::Answered);
        assert_eq!(l.limit, 8);
        rounds(&mut l, &mut now, 2, 5 * MS, Load::Answered);
        assert_eq!(l.limit, 10, "8 held: growing at once again");
    }

    #[test]
    fn push_backs_to_requests_sent_before_a_cut_cut_no_further() {
        let mut now = Instant::now();
        let mut l = Limiter::new(32, now);
        (l.limit, l.slow_start) = (16, false);
        for _ in 0..16 {
            assert_eq!(l.take(now), Take::Go);
        }
        now += 5 * MS;
        for _ in 0..16 {
            l.done(5 * MS, Load::PushedBack(None), now);
        }
        assert_eq!(l.limit, 8, "one cut for one round trip of refusals");
        assert_eq!(l.take(now), Take::Go);
        now += 5 * MS;
        l.done(5 * MS, Load::PushedBack(None), now);
        assert_eq!(
            l.limit, 4,
            "a request sent after the cut, refused: another cut"
        );
    }

    #[test]
    fn the_limit_never_drops_below_one() {
        let mut now = Instant::now();
        let mut l = Limiter::new(8, now);
        rounds(&mut l, &mut now, 10, 5 * MS, Load::PushedBack(None));
        assert_eq!(l.limit, 1);
        assert_eq!(l.take(now), Take::Go);
    }

    #[test]
    fn a_fixed_limit_sends_the_ceiling_at_once() {
        let limit = InFlightLimit::new(4, false);
        let places: Vec<_> = (0..4).map(|_| limit.enter().expect("a place")).collect();
        assert_eq!(limit.limit(), 4);
        for place in places {
            place.leave(Load::Answered);
        }
    }
}
