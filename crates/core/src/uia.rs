//! User-interactive authentication: sessions that collect completed stages until one of the
//! endpoint's flows is satisfied. Sessions live in memory and expire; a restart only makes a
//! client start the dance again.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use ruma::UserId;
use serde_json::json;

use crate::{CoreError, Result, accounts::Accounts};

const SESSION_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// A stage the client submitted.
#[derive(Debug, Clone)]
pub enum UiaStage {
    /// `m.login.password`; the identifier already resolved to a user id (or not).
    Password {
        /// Who the client claims to be.
        user: Option<ruma::OwnedUserId>,
        /// The password.
        password: String,
    },
    /// `m.login.dummy`.
    Dummy,
    /// `m.login.registration_token`.
    RegistrationToken(String),
    /// Any other stage type, which this server does not offer.
    Other(String),
}

/// What the client sent in `auth`.
#[derive(Debug, Clone, Default)]
pub struct UiaSubmission {
    /// Session id from an earlier 401.
    pub session: Option<String>,
    /// The stage, when the client sent one.
    pub stage: Option<UiaStage>,
}

struct Session {
    purpose: String,
    user: Option<ruma::OwnedUserId>,
    completed: Vec<&'static str>,
    created: Instant,
}

/// The UIA session store.
#[derive(Default)]
pub struct Uia {
    sessions: Mutex<HashMap<String, Session>>,
}

impl Uia {
    /// Runs one step of UIA for `purpose` (an endpoint name, so a session cannot be replayed on
    /// another endpoint). `flows` lists the acceptable stage sequences; `user` is the account
    /// whose password `m.login.password` must match (None during registration);
    /// `registration_tokens` are the tokens `m.login.registration_token` accepts. Returns `Ok`
    /// once a flow is complete, else `UiaRequired` with the body the client needs.
    pub fn authorize(
        &self,
        purpose: &str,
        submission: UiaSubmission,
        flows: &[&[&'static str]],
        user: Option<&UserId>,
        accounts: &Accounts,
        registration_tokens: &[String],
    ) -> Result<()> {
        let mut sessions = self.sessions.lock().map_err(|_| CoreError::Internal("uia lock poisoned".into()))?;
        sessions.retain(|_, s| s.created.elapsed() < SESSION_LIFETIME);

        let session_id = match submission.session.filter(|id| sessions.contains_key(id)) {
            Some(id) => id,
            None => {
                let id = crate::accounts::random_token();
                sessions.insert(
                    id.clone(),
                    Session {
                        purpose: purpose.to_owned(),
                        user: user.map(ToOwned::to_owned),
                        completed: vec![],
                        created: Instant::now(),
                    },
                );
                id
            }
        };
        let session =
            sessions.get_mut(&session_id).ok_or_else(|| CoreError::Internal("uia session vanished".into()))?;
        if session.purpose != purpose || session.user.as_deref() != user {
            return Err(CoreError::Forbidden("this authentication session belongs to another request".into()));
        }

        let mut stage_error = None;
        if let Some(stage) = submission.stage {
            match check_stage(&stage, flows, user, accounts, registration_tokens) {
                Ok(name) => {
                    if !session.completed.contains(&name) {
                        session.completed.push(name);
                    }
                }
                Err(message) => stage_error = Some(message),
            }
        }

        let done = flows.iter().any(|flow| flow.iter().all(|stage| session.completed.contains(stage)));
        if done {
            sessions.remove(&session_id);
            return Ok(());
        }
        let mut body = json!({
            "flows": flows.iter().map(|f| json!({ "stages": f })).collect::<Vec<_>>(),
            "params": {},
            "session": session_id,
            "completed": session.completed,
        });
        if let Some(message) = stage_error {
            body["errcode"] = "M_FORBIDDEN".into();
            body["error"] = message.into();
        }
        Err(CoreError::UiaRequired(body))
    }
}

fn check_stage(
    stage: &UiaStage,
    flows: &[&[&'static str]],
    user: Option<&UserId>,
    accounts: &Accounts,
    registration_tokens: &[String],
) -> std::result::Result<&'static str, String> {
    let offered = |name: &str| flows.iter().flat_map(|f| f.iter()).find(|s| **s == name).copied();
    match stage {
        UiaStage::Dummy => offered("m.login.dummy").ok_or_else(|| "m.login.dummy is not offered here".to_owned()),
        UiaStage::RegistrationToken(token) => {
            let name = offered("m.login.registration_token")
                .ok_or_else(|| "m.login.registration_token is not offered here".to_owned())?;
            if registration_tokens.iter().any(|t| constant_time_eq(t.as_bytes(), token.as_bytes())) {
                Ok(name)
            } else {
                Err("invalid registration token".to_owned())
            }
        }
        UiaStage::Password { user: claimed, password } => {
            let name = offered("m.login.password").ok_or_else(|| "m.login.password is not offered here".to_owned())?;
            let Some(expected) = user else { return Err("no account to check a password for".to_owned()) };
            if claimed.as_deref().is_some_and(|c| c != expected) {
                return Err("invalid username or password".to_owned());
            }
            match accounts.check_password_login(expected, password) {
                Ok(_) => Ok(name),
                Err(_) => Err("invalid username or password".to_owned()),
            }
        }
        UiaStage::Other(kind) => Err(format!("authentication stage {kind} is not supported")),
    }
}

/// Compares secrets without leaking where they differ through timing.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
