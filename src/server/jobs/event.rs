//! A job's events as its stream and its webhook tell them: the run's steps, typed until
//! they are written, then how the job ended. The result document is serialized once, when
//! the run ends, and travels as raw JSON from then on.

use serde::Serialize;
use serde_json::value::RawValue;

use crate::pipeline::Event;
use crate::store::JobStatus;

/// How a job ended.
pub(super) struct Ending {
    pub status: JobStatus,
    /// The result document (the CLI's JSON), when the run came to an end.
    pub result: Option<Box<RawValue>>,
    pub error: Option<String>,
}

impl Ending {
    pub(super) fn failed(error: impl Into<String>) -> Ending {
        Ending {
            status: JobStatus::Failed,
            result: None,
            error: Some(error.into()),
        }
    }
}

/// The end of job `id` as clients read it: the `done` event's fields and the webhook body.
#[derive(Clone, Copy, Serialize)]
pub(super) struct Told<'a> {
    pub id: &'a str,
    pub status: JobStatus,
    pub result: Option<&'a RawValue>,
    pub error: Option<&'a str>,
}

impl<'a> Told<'a> {
    pub(super) fn new(id: &'a str, ending: &'a Ending) -> Told<'a> {
        Told {
            id,
            status: ending.status,
            result: ending.result.as_deref(),
            error: ending.error.as_deref(),
        }
    }
}

/// One entry of a job's event stream.
pub(super) enum JobEvent<'a> {
    Run(&'a Event),
    Done(Told<'a>),
}

/// The `done` event: its type, then the job's end.
#[derive(Serialize)]
struct Done<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    told: Told<'a>,
}

impl JobEvent<'_> {
    /// The event's `type`, which names it in the event stream.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            JobEvent::Run(event) => event.kind(),
            JobEvent::Done(_) => "done",
        }
    }

    pub(super) fn to_json(&self) -> Result<String, serde_json::Error> {
        match self {
            JobEvent::Run(event) => serde_json::to_string(event),
            JobEvent::Done(told) => serde_json::to_string(&Done {
                kind: "done",
                told: *told,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn done_carries_the_result_as_it_was_written() {
        let ending = Ending {
            status: JobStatus::Succeeded,
            result: RawValue::from_string(r#"{"results": {"ru": 1}}"#.into()).ok(),
            error: None,
        };
        let done = JobEvent::Done(Told::new("j1", &ending));
        assert_eq!(done.kind(), "done");
        assert_eq!(
            done.to_json().unwrap(),
            r#"{"type":"done","id":"j1","status":"succeeded","result":{"results": {"ru": 1}},"error":null}"#
        );
    }
}
