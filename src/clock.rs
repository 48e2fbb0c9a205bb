//! The one clock every timer reads.
//!
//! Production runs on [`SystemClock`]; rehearsals run on a [`ScaledClock`] that starts at a chosen
//! instant and runs faster than real time; tests drive a [`ManualClock`] by hand. Nothing else in
//! golive asks the operating system for the time of day, so a rehearsal moves every milestone,
//! reminder and deadline together.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use futures_util::future::BoxFuture;
use tokio::sync::watch;

/// A source of "now" that can also wait for a future instant on its own time line.
pub trait Clock: Send + Sync + 'static {
    /// The current instant on this clock.
    fn now(&self) -> DateTime<Utc>;
    /// Resolves once this clock reads `deadline` or later.
    fn sleep_until(&self, deadline: DateTime<Utc>) -> BoxFuture<'_, ()>;
    /// Lets a clock built stopped start running (see [`ScaledClock::stopped`]).
    fn start(&self) {}
}

/// The clock shared by every part of a running bot.
pub type SharedClock = Arc<dyn Clock>;

/// Real wall-clock time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep_until(&self, deadline: DateTime<Utc>) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            // Re-check after waking: the wall clock may have been stepped while we slept.
            while self.now() < deadline {
                let left = (deadline - self.now()).to_std().unwrap_or_default();
                tokio::time::sleep(left.max(Duration::from_millis(1))).await;
            }
        })
    }
}

/// A rehearsal clock: starts at `start` and runs `speed` times faster than real time.
#[derive(Debug)]
pub struct ScaledClock {
    start: DateTime<Utc>,
    /// When the clock began to run; `None` while it is stopped at `start`.
    real_start: Mutex<Option<tokio::time::Instant>>,
    speed: f64,
}

impl ScaledClock {
    /// A clock reading `start` now and advancing `speed` virtual seconds per real second.
    pub fn new(start: DateTime<Utc>, speed: f64) -> Self {
        let clock = Self::stopped(start, speed);
        clock.start();
        clock
    }

    /// A clock that reads `start` until [`Clock::start`] is called. At high speeds the time it
    /// takes to open the database would otherwise be hours of rehearsal.
    pub fn stopped(start: DateTime<Utc>, speed: f64) -> Self {
        Self {
            start,
            real_start: Mutex::new(None),
            speed: speed.max(f64::MIN_POSITIVE),
        }
    }

    /// A clock that read `start` at the wall-clock instant `anchor` and has run at `speed`
    /// since: replicas given the same three read the same time, whenever each started.
    pub fn anchored(start: DateTime<Utc>, speed: f64, anchor: DateTime<Utc>) -> Self {
        let clock = Self::stopped(start, speed);
        let now = tokio::time::Instant::now();
        let wall = Utc::now();
        let since = match (wall - anchor).to_std() {
            Ok(ago) => now.checked_sub(ago).unwrap_or(now),
            // An anchor still to come: the clock waits at `start` until then.
            Err(_) => now + (anchor - wall).to_std().unwrap_or_default(),
        };
        *clock.real_start.lock().unwrap_or_else(|e| e.into_inner()) = Some(since);
        clock
    }

    fn running_since(&self) -> Option<tokio::time::Instant> {
        *self.real_start.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> DateTime<Utc> {
        let real = self
            .running_since()
            .map_or(0.0, |since| since.elapsed().as_secs_f64());
        self.start + TimeDelta::microseconds((real * self.speed * 1e6) as i64)
    }

    fn start(&self) {
        let mut since = self.real_start.lock().unwrap_or_else(|e| e.into_inner());
        since.get_or_insert_with(tokio::time::Instant::now);
    }

    fn sleep_until(&self, deadline: DateTime<Utc>) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            loop {
                let left = deadline - self.now();
                if left <= TimeDelta::zero() {
                    return;
                }
                // While stopped, check back now and then; once running, sleep the scaled time.
                let real = match self.running_since() {
                    Some(_) => left.to_std().unwrap_or_default().as_secs_f64() / self.speed,
                    None => 0.01,
                };
                tokio::time::sleep(Duration::from_secs_f64(real).max(Duration::from_micros(50)))
                    .await;
            }
        })
    }
}

/// A clock that only moves when told to; tests advance it and everything waiting wakes up.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
    ticks: watch::Sender<DateTime<Utc>>,
}

impl ManualClock {
    /// A clock stopped at `start`.
    pub fn new(start: DateTime<Utc>) -> Arc<Self> {
        Arc::new(Self {
            now: Mutex::new(start),
            ticks: watch::Sender::new(start),
        })
    }

    /// Moves the clock forward by `by` and wakes every sleeper whose deadline has come.
    pub fn advance(&self, by: TimeDelta) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
        self.ticks.send_replace(*now);
    }

    /// Sets the clock to `to` (forward or backward).
    pub fn set(&self, to: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = to;
        self.ticks.send_replace(to);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn sleep_until(&self, deadline: DateTime<Utc>) -> BoxFuture<'_, ()> {
        let mut ticks = self.ticks.subscribe();
        Box::pin(async move {
            // The sender lives as long as the clock, so this only ends when the deadline is reached.
            let _ = ticks.wait_for(|now| *now >= deadline).await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn scaled_clock_runs_speed_times_faster() {
        let clock = ScaledClock::new(at("2026-03-08T09:00:00Z"), 60.0);
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(clock.now(), at("2026-03-08T09:10:00Z"));
    }

    #[tokio::test(start_paused = true)]
    async fn scaled_clock_sleeps_until_virtual_deadline() {
        let clock = ScaledClock::new(at("2026-03-08T09:00:00Z"), 3600.0);
        clock.sleep_until(at("2026-03-08T11:00:00Z")).await;
        assert!(clock.now() >= at("2026-03-08T11:00:00Z"));
        assert!(clock.now() < at("2026-03-08T11:00:01Z"));
    }

    #[tokio::test]
    async fn manual_clock_wakes_sleepers_when_advanced_past_deadline() {
        let clock = ManualClock::new(at("2026-03-08T09:00:00Z"));
        let sleeper = {
            let clock = clock.clone();
            tokio::spawn(async move { clock.sleep_until(at("2026-03-08T09:30:00Z")).await })
        };
        clock.advance(TimeDelta::minutes(10));
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished());
        clock.advance(TimeDelta::minutes(20));
        sleeper.await.unwrap();
    }
}
