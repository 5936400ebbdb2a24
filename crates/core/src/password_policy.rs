//! The password policy (`[password_policy]`): what a new password must contain. Checked in the
//! core wherever a password is set (registration, `rempart create-user`, the admin API, password
//! changes and operator resets) so that no path can skip it, and published to clients with the
//! MSC2000 keys so they can check before submitting.

use rempart_types::config::PasswordPolicyConfig;

use crate::{CoreError, Result};

/// Refuses a password that breaks the policy with `M_WEAK_PASSWORD`, naming everything that is
/// missing at once ("the password must be at least 12 characters long and contain a digit"), so
/// the user does not discover the rules one refusal at a time.
///
/// Length counts characters, not bytes, so that accented passwords are not favoured. Character
/// classes are Unicode-aware: `é` is a lower-case letter and `٣` a digit; a symbol is anything
/// that is neither a letter nor a digit (punctuation, spaces, emoji).
pub fn check(policy: &PasswordPolicyConfig, password: &str) -> Result<()> {
    let missing = missing_requirements(policy, password);
    if missing.is_empty() {
        return Ok(());
    }
    Err(CoreError::WeakPassword(describe(&missing)))
}

/// One unmet requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Missing {
    Length(u32),
    Digit,
    Symbol,
    Lowercase,
    Uppercase,
}

fn missing_requirements(policy: &PasswordPolicyConfig, password: &str) -> Vec<Missing> {
    let mut missing = Vec::new();
    // An empty password is never acceptable, even with `min_length = 0`.
    let min_length = policy.min_length.max(1);
    if password.chars().count() < min_length as usize {
        missing.push(Missing::Length(min_length));
    }
    let classes = [
        (policy.require_digit, Missing::Digit, char::is_numeric as fn(char) -> bool),
        (policy.require_symbol, Missing::Symbol, |c: char| !c.is_alphanumeric()),
        (policy.require_lowercase, Missing::Lowercase, char::is_lowercase),
        (policy.require_uppercase, Missing::Uppercase, char::is_uppercase),
    ];
    for (required, class, matches) in classes {
        if required && !password.chars().any(matches) {
            missing.push(class);
        }
    }
    missing
}

fn describe(missing: &[Missing]) -> String {
    let mut length = None;
    let mut classes = Vec::new();
    for requirement in missing {
        match requirement {
            Missing::Length(n) => {
                let unit = if *n == 1 { "character" } else { "characters" };
                length = Some(format!("be at least {n} {unit} long"));
            }
            Missing::Digit => classes.push("a digit"),
            Missing::Symbol => classes.push("a symbol"),
            Missing::Lowercase => classes.push("a lower-case letter"),
            Missing::Uppercase => classes.push("an upper-case letter"),
        }
    }
    let contain = match classes.as_slice() {
        [] => None,
        [only] => Some(format!("contain {only}")),
        [first @ .., last] => Some(format!("contain {} and {last}", first.join(", "))),
    };
    let parts: Vec<String> = length.into_iter().chain(contain).collect();
    format!("the password must {}", parts.join(" and "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(min_length: u32, digit: bool, symbol: bool, lower: bool, upper: bool) -> PasswordPolicyConfig {
        PasswordPolicyConfig {
            min_length,
            require_digit: digit,
            require_symbol: symbol,
            require_lowercase: lower,
            require_uppercase: upper,
        }
    }

    fn message(policy: &PasswordPolicyConfig, password: &str) -> String {
        match check(policy, password) {
            Err(CoreError::WeakPassword(message)) => message,
            other => panic!("expected a weak password, got {other:?}"),
        }
    }

    #[test]
    fn reports_exactly_what_is_missing() {
        let all = policy(12, true, true, true, true);
        assert_eq!(
            message(&all, "short"),
            "the password must be at least 12 characters long and contain a digit, a symbol and an upper-case letter"
        );
        assert_eq!(
            message(&all, "longenoughpassword"),
            "the password must contain a digit, a symbol and an upper-case letter"
        );
        assert_eq!(message(&all, "Longenoughpassword1"), "the password must contain a symbol");
        assert_eq!(message(&all, "LONGENOUGH-PASSWORD1"), "the password must contain a lower-case letter");
        assert!(check(&all, "Longenough-password1").is_ok());
        assert_eq!(
            message(&policy(12, true, false, false, false), "abc"),
            "the password must be at least 12 characters long and contain a digit"
        );
        assert_eq!(
            message(&policy(12, false, false, false, false), "abc"),
            "the password must be at least 12 characters long"
        );
    }

    #[test]
    fn length_counts_characters_and_classes_are_unicode_aware() {
        let twelve = policy(12, false, false, false, false);
        // Twelve characters, 24 bytes.
        assert!(check(&twelve, "éééééééééééé").is_ok());
        assert!(check(&twelve, "ééééééééééé").is_err());
        let classes = policy(1, true, true, true, true);
        assert!(check(&classes, "Éé٣ ").is_ok());
        assert_eq!(message(&classes, "Éé٣"), "the password must contain a symbol");
    }

    #[test]
    fn empty_is_refused_even_without_a_minimum() {
        assert_eq!(
            message(&policy(0, false, false, false, false), ""),
            "the password must be at least 1 character long"
        );
    }
}
