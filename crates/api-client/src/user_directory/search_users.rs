//! `POST /_matrix/client/v3/user_directory/search`

use rempart_http::{ApiResult, AppState, Ruma};
use ruma::{
    OwnedMxcUri,
    api::client::user_directory::search_users::v3::{Request, Response, User},
};

pub(crate) async fn search_users(state: AppState, request: Ruma<Request>) -> ApiResult<Response> {
    let identity = request.identity()?;
    let limit = usize::try_from(u64::from(request.limit)).unwrap_or(usize::MAX);
    let (users, limited) = state.search_users(&identity.user_id, &request.search_term, limit)?;
    let results = users
        .into_iter()
        .map(|found| {
            let mut user = User::new(found.user_id);
            user.display_name = found.displayname;
            user.avatar_url = found.avatar_url.map(OwnedMxcUri::from);
            user
        })
        .collect();
    Ok(Response::new(results, limited))
}
