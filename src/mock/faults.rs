//! Which fault, if any, the next request gets. Each share is drawn on its own, in a fixed
//! order, so `--fail-rate 0.1 --hang-rate 0.1` means about 10 % of each.

use super::MockOptions;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
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

pub fn draw(o: &MockOptions) -> Option<Fault> {
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
    .find(|(_, share)| *share > 0.0 && fastrand::f64() < *share)
    .map(|(fault, _)| fault)
}
