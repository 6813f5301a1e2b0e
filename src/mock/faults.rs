//! Which fault, if any, the next request gets. Each share is drawn on its own, in a fixed
//! order, so `--fail-rate 0.1 --hang-rate 0.1` means about 10 % of each. Draws come from
//! one random source per mock, seeded by `--seed`: the n-th request to arrive gets the
//! same fault on every run, so tests that count faults are reproducible.

use std::sync::Mutex;

use super::MockOptions;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fault {
    Hang,
    Fail,
    Throttle,
    Quota,
    Overload,
    Drop,
    Malformed,
    WrongLang,
    Merge,
    Truncate,
    Overlong,
    DropNumber,
}

/// How an LLM answer is dressed, each drawn on its own: several can come together, as
/// with real models.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Dress {
    pub think: bool,
    pub fence: bool,
    pub preamble: bool,
    pub crlf: bool,
}

pub(super) struct Faults {
    rng: Mutex<fastrand::Rng>,
}

impl Faults {
    /// A source seeded with `seed`, or from the operating system when there is none.
    pub(super) fn new(seed: Option<u64>) -> Faults {
        let rng = seed.map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed);
        Faults {
            rng: Mutex::new(rng),
        }
    }

    fn rng(&self) -> std::sync::MutexGuard<'_, fastrand::Rng> {
        self.rng.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn draw(&self, o: &MockOptions) -> Option<Fault> {
        let mut rng = self.rng();
        [
            (Fault::Hang, o.hang_rate),
            (Fault::Fail, o.fail_rate),
            (Fault::Throttle, o.throttle_rate),
            (Fault::Quota, o.quota_rate),
            (Fault::Overload, o.overload_rate),
            (Fault::Drop, o.drop_rate),
            (Fault::Malformed, o.malformed_rate),
            (Fault::WrongLang, o.wrong_lang_rate),
            (Fault::Merge, o.merge_rate),
            (Fault::Truncate, o.truncate_rate),
            (Fault::Overlong, o.overlong_rate),
            (Fault::DropNumber, o.drop_number_rate),
        ]
        .into_iter()
        .find(|(_, share)| *share > 0.0 && rng.f64() < *share)
        .map(|(fault, _)| fault)
    }

    /// How the next LLM answer is dressed; a share of 0 draws nothing, so seeded runs
    /// without dressing meet the same faults as before.
    pub(super) fn dress(&self, o: &MockOptions) -> Dress {
        let mut rng = self.rng();
        let mut draw = |share: f64| share > 0.0 && rng.f64() < share;
        Dress {
            think: draw(o.think_rate),
            fence: draw(o.fence_rate),
            preamble: draw(o.preamble_rate),
            crlf: draw(o.crlf_rate),
        }
    }

    /// Extra latency, uniform in `0..=max` milliseconds.
    pub(super) fn jitter(&self, max: u64) -> u64 {
        if max == 0 { 0 } else { self.rng().u64(0..=max) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_the_same_faults_in_the_same_order() {
        let options = MockOptions {
            throttle_rate: 0.3,
            fail_rate: 0.2,
            ..MockOptions::default()
        };
        let run = |seed| {
            let faults = Faults::new(Some(seed));
            (0..64).map(|_| faults.draw(&options)).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let throttled = run(7)
            .iter()
            .filter(|f| **f == Some(Fault::Throttle))
            .count();
        assert!((8..=30).contains(&throttled), "{throttled} of 64");
    }
}
