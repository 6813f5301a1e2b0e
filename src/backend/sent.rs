//! When a request actually went on the wire. The dispatcher's rolling window counts a
//! request from this moment rather than from its admission, so that connection set-up or
//! a busy runtime between the two cannot squeeze more requests into one second at the
//! provider than the configured rate.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio::time::Instant;

/// Set once: by the request body when the HTTP stack first reads it, or by the owner when
/// the attempt ends without that happening.
#[derive(Clone, Debug, Default)]
pub struct SentAt(Arc<OnceLock<Instant>>);

impl SentAt {
    pub fn mark(&self) {
        let _ = self.0.set(Instant::now());
    }

    pub fn get(&self) -> Option<Instant> {
        self.0.get().copied()
    }
}

/// A request body that stamps [`SentAt`] when the connection starts writing it.
pub(super) struct StampedBody {
    data: Option<Bytes>,
    len: u64,
    sent: SentAt,
}

impl StampedBody {
    pub(super) fn new(data: Vec<u8>, sent: SentAt) -> StampedBody {
        StampedBody {
            len: data.len() as u64,
            data: Some(Bytes::from(data)),
            sent,
        }
    }
}

impl http_body::Body for StampedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.sent.mark();
        Poll::Ready(self.data.take().map(|d| Ok(Frame::data(d))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len)
    }
}
