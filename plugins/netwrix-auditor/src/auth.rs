//! How the source authenticates to the Integration API ([`AuthMethod`], the `auth` key), and
//! what a 401 means for the operator: the credentials were refused, or the server does not
//! offer the scheme sluice was told to use, or offers only schemes sluice does not speak.
//!
//! The host runs the schemes: Basic as a header, NTLM and Negotiate as a handshake on a
//! connection it keeps for this server and account.

use schemars::JsonSchema;
use serde::Deserialize;
use sluice_sdk::{AuthScheme, HttpResponse};

/// The `auth` key: which HTTP authentication scheme the source uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// HTTP Basic: the account and password on every request (over HTTPS only, in practice).
    #[default]
    Basic,
    /// NTLM (NTLMv2), the scheme Netwrix recommends for the Integration API.
    Ntlm,
    /// Negotiate (SPNEGO) carrying NTLM; Kerberos is not offered (it needs a domain controller
    /// sluice does not talk to).
    Negotiate,
}

impl AuthMethod {
    /// The scheme the host runs.
    pub fn scheme(self) -> AuthScheme {
        match self {
            AuthMethod::Basic => AuthScheme::Basic,
            AuthMethod::Ntlm => AuthScheme::Ntlm,
            AuthMethod::Negotiate => AuthScheme::Negotiate,
        }
    }

    /// How the `auth` key spells it.
    pub fn key_value(self) -> &'static str {
        match self {
            AuthMethod::Basic => "basic",
            AuthMethod::Ntlm => "ntlm",
            AuthMethod::Negotiate => "negotiate",
        }
    }
}

/// The schemes a 401 offers, by name, in order: one per `WWW-Authenticate` challenge (a header
/// may hold several, comma-separated; the parameters of a challenge, like `realm="x"`, are
/// not schemes).
pub fn offered(response: &HttpResponse) -> Vec<String> {
    let mut schemes = Vec::new();
    for (_, value) in response
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("www-authenticate"))
    {
        for part in value.split(',') {
            let word = part.split_whitespace().next().unwrap_or_default();
            let is_scheme = !word.is_empty() && !word.contains('=') && !word.contains('"');
            if is_scheme
                && !schemes
                    .iter()
                    .any(|s: &String| s.eq_ignore_ascii_case(word))
            {
                schemes.push(word.to_owned());
            }
        }
    }
    schemes
}

/// The schemes sluice speaks, as `auth` values, that the server offers.
fn spoken(offered: &[String]) -> Vec<&'static str> {
    [AuthMethod::Ntlm, AuthMethod::Negotiate, AuthMethod::Basic]
        .into_iter()
        .filter(|m| {
            offered
                .iter()
                .any(|o| o.eq_ignore_ascii_case(m.scheme().name()))
        })
        .map(AuthMethod::key_value)
        .collect()
}

/// The message for a 401 to a request made as `account` with `method`: what happened, and
/// what to change.
pub fn refused(response: &HttpResponse, method: AuthMethod, account: &str, label: &str) -> String {
    let offered = offered(response);
    let scheme = method.scheme().name();
    let roles = "the account needs the Global reviewer role in Auditor, or membership of the \
                 local \"Netwrix Auditor Client Users\" group on the Auditor server (Global \
                 administrator and \"Netwrix Auditor Administrators\" also read)";
    if offered.is_empty() {
        return format!(
            "Netwrix Auditor answered {scheme} for account {account} with 401 Unauthorized on \
             {label}, naming no scheme it accepts (no WWW-Authenticate header): no scheme \
             sluice speaks (NTLM, Negotiate carrying NTLM, Basic) is allowed for the \
             Integration API. Allow NTLM, what Netwrix recommends, on the Auditor server."
        );
    }
    let offers_ours = offered.iter().any(|o| o.eq_ignore_ascii_case(scheme));
    if offers_ours {
        let domain = if method == AuthMethod::Basic {
            ""
        } else {
            " (its domain is part of the NTLM proof: the account's NetBIOS domain, as in \
             CORP\\svc-sluice, or user@domain)"
        };
        return format!(
            "Netwrix Auditor refused account {account} with {scheme} (401 Unauthorized) on \
             {label}. Check `username`{domain} and `password`; {roles}."
        );
    }
    let spoken = spoken(&offered);
    let listed = offered.join(", ");
    if spoken.is_empty() {
        return format!(
            "Netwrix Auditor does not offer {scheme} on {label}: it offers only {listed}, and \
             sluice speaks NTLM, Negotiate (carrying NTLM) and Basic. Allow NTLM (what Netwrix \
             recommends) for the Integration API on the Auditor server; account {account} was \
             not tried."
        );
    }
    let choices = spoken
        .iter()
        .map(|s| format!("`auth = \"{s}\"`"))
        .collect::<Vec<_>>()
        .join(" or ");
    format!(
        "Netwrix Auditor does not offer {scheme} on {label} (it offers {listed}); account \
         {account} was not tried. Set {choices} in this source, or allow {scheme} for the \
         Integration API on the Auditor server."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unauthorized(challenges: &[&str]) -> HttpResponse {
        HttpResponse {
            status: 401,
            headers: challenges
                .iter()
                .map(|c| ("www-authenticate".to_owned(), (*c).to_owned()))
                .collect(),
            body: Vec::new(),
        }
    }

    const LABEL: &str = "POST https://a:9699/… (healthcheck)";

    #[test]
    fn schemes_are_read_from_every_header_and_list() {
        let response = unauthorized(&[
            "Negotiate, NTLM",
            "Basic realm=\"a, b\"",
            "Digest realm=\"x\", qop=\"auth\"",
        ]);
        assert_eq!(offered(&response), ["Negotiate", "NTLM", "Basic", "Digest"]);
    }

    #[test]
    fn refused_credentials_name_the_account_the_scheme_and_the_keys() {
        let response = unauthorized(&["Negotiate", "NTLM", "Basic realm=\"a\""]);
        let message = refused(&response, AuthMethod::Ntlm, r"CORP\svc", LABEL);
        for part in [
            r"CORP\svc",
            "with NTLM",
            "`username`",
            "`password`",
            "Global reviewer",
        ] {
            assert!(message.contains(part), "{part}: {message}");
        }
    }

    #[test]
    fn a_scheme_not_offered_says_which_to_choose() {
        let basic_off = unauthorized(&["Negotiate", "NTLM"]);
        let message = refused(&basic_off, AuthMethod::Basic, r"CORP\svc", LABEL);
        assert!(message.contains("does not offer Basic"), "{message}");
        assert!(
            message.contains("`auth = \"ntlm\"` or `auth = \"negotiate\"`"),
            "{message}"
        );
        let none = refused(&unauthorized(&[]), AuthMethod::Ntlm, r"CORP\svc", LABEL);
        assert!(none.contains("naming no scheme"), "{none}");
        let digest_only = unauthorized(&["Digest realm=\"x\""]);
        let message = refused(&digest_only, AuthMethod::Ntlm, r"CORP\svc", LABEL);
        assert!(message.contains("offers only Digest"), "{message}");
        assert!(message.contains("Allow NTLM"), "{message}");
    }
}
