//! `GET /_matrix/client/v3/directory/list/room/{roomId}`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::api::client::{
    directory::get_room_visibility::v3::{Request, Response},
    room::Visibility,
};

pub(crate) async fn get_visibility(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    // Public, as the spec says (clients may ask without a token); it only tells whether the
    // room is listed in the directory, which any member can see anyway.
    let visibility = if state.room_published(&request.room_id)? { Visibility::Public } else { Visibility::Private };
    Ok(Response::new(visibility))
}
