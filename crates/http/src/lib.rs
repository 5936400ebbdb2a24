//! The HTTP edge of Rempart: turns requests into typed ruma requests with an authenticated
//! identity ([`Ruma`]), registers handlers under every path version an endpoint has
//! ([`RouterExt`]), and maps every error to a Matrix error response in one place
//! ([`ApiError`]).

mod error;
mod extract;
mod router;

use std::sync::Arc;

pub use error::{ApiError, ApiResult};
pub use extract::{Authenticated, ClientIp, Ruma};
pub use router::{RouterExt, finish_router, ruma_response};

/// The state every handler receives.
pub type AppState = Arc<rempart_core::Services>;
