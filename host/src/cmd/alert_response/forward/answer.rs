//! What became of a forwarded alert, from the host's answer or the lack of one: the exit
//! code, which tells Netwrix Auditor's log whether a retry can help, and with it whether the
//! next intake given with `--to` may take the alert; and a message that says what happened,
//! at which URL, in the host's words (its JSON `error`, shown safely), and what to do.

use std::time::Duration;

use reqwest::{StatusCode, Url};
use serde::Deserialize;

use crate::exit;

/// The most characters of the host's `error` text shown.
const MAX_ERROR_CHARS: usize = 300;

/// What the host answered; its headers cleaned for messages.
#[derive(Debug)]
pub(super) struct Answer {
    pub(super) status: StatusCode,
    pub(super) location: Option<String>,
    pub(super) retry_after: Option<String>,
    pub(super) body: Vec<u8>,
}

/// A forward that did not end with the alert committed: the exit code and what to say.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Failure {
    pub(super) code: u8,
    pub(super) message: String,
    /// The URL and what it answered, without advice, for a line that lists every intake tried.
    pub(super) answered: String,
}

impl Failure {
    /// Whether the next intake given with `--to` may take the alert instead: only when this
    /// one could not take it now ([`exit::TEMPFAIL`]: not reached, a TLS failure, no answer in
    /// time, busy, a 5xx). The alert was then not committed, or, after a timeout or a
    /// connection lost once the request was sent, perhaps committed: sending it again is safe
    /// all the same, because the hosts share one store, where a repeated alert (the same
    /// Auditor ids) is the one alert already there. The credentials or the request refused
    /// ([`exit::NOPERM`], [`exit::DATAERR`]) would be refused alike by every host; a URL that
    /// is not an intake (404, a redirect) is a command line to fix, said at once rather than
    /// hidden behind the next host until that one is down.
    pub(super) fn another_may_take_it(&self) -> bool {
        self.code == exit::TEMPFAIL
    }
}

/// The lines that say why no intake queued the alert, given the `failures` of those tried, in
/// order, and the number left `untried` after a refusal they would repeat. For one intake,
/// its message as it is; for several, first what each answered, then each one's message.
pub(super) fn gave_up(failures: &[Failure], untried: usize) -> Vec<String> {
    let messages = failures.iter().map(|f| f.message.clone());
    if failures.len() == 1 && untried == 0 {
        return messages.collect();
    }
    let answered: Vec<&str> = failures.iter().map(|f| f.answered.as_str()).collect();
    let mut summary = format!("no intake queued the alert: {}.", answered.join("; "));
    if untried > 0 {
        let (count, was) = match untried {
            1 => ("The other intake".to_owned(), "was"),
            n => (format!("The {n} other intakes"), "were"),
        };
        summary.push_str(&format!(
            " {count} given with --to {was} not tried: only an intake that cannot take the \
             alert now is passed over, as another host would answer this one alike."
        ));
    }
    std::iter::once(summary).chain(messages).collect()
}

/// The intake's answer once the alert is committed.
#[derive(Debug, Deserialize)]
pub(super) struct Queued {
    pub(super) queued: bool,
    #[serde(default)]
    pub(super) alerts: usize,
    #[serde(default)]
    pub(super) pipelines: Vec<String>,
}

/// The exit code for the host's answer `status`: 0 only for 200, the intake's answer once
/// the alert is committed.
pub(super) fn exit_code(status: u16) -> u8 {
    match status {
        200 => exit::OK,
        401 | 403 => exit::NOPERM,
        408 | 429 => exit::TEMPFAIL,
        300..=499 => exit::DATAERR,
        _ => exit::TEMPFAIL,
    }
}

/// What the host's answer means: committed, or a [`Failure`] that says what happened, at
/// `url`, in the host's words, and what to do.
pub(super) fn judge(url: &Url, answer: &Answer, token_sent: bool) -> Result<Queued, Failure> {
    let code = exit_code(answer.status.as_u16());
    let status = answer.status;
    let said = host_error(&answer.body).map_or_else(String::new, |e| format!(": {e}"));
    if code == exit::OK {
        return match serde_json::from_slice::<Queued>(&answer.body) {
            Ok(queued) if queued.queued => Ok(queued),
            _ => Err(Failure {
                code: exit::TEMPFAIL,
                answered: format!("{url}: {status}, but not as sluice's intake answers"),
                message: format!(
                    "{url} answered 200 OK, but not as sluice's intake does ({{\"queued\": \
                     true, …}}): the alert was not confirmed as queued. Netwrix Auditor will \
                     retry the response action; check that --to is the address of `sluice \
                     run`'s [response_intake], not of a proxy or another service."
                ),
            }),
        };
    }
    let message = match code {
        exit::NOPERM => {
            let what = if token_sent {
                "check that the token is the one the host's [response_intake] token (or \
                 token_sha256) names, and, if it asks for a client certificate (client_ca), \
                 that --client-cert is one its CA issued"
            } else {
                "no token was sent: give the file `sluice generate intake-token` wrote with \
                 --token-file, or set SLUICE_INTAKE_TOKEN"
            };
            format!(
                "sluice at {url} refused the credentials: {status}{said}. The alert was not \
                 queued; {what}."
            )
        }
        exit::DATAERR => refusal(url, answer, &said),
        _ => {
            let retry = answer
                .retry_after
                .as_ref()
                .map_or_else(String::new, |r| format!(" (Retry-After: {r})"));
            format!(
                "sluice at {url} cannot take the alert now: {status}{retry}{said}. The alert was \
                 not queued; Netwrix Auditor will retry the response action."
            )
        }
    };
    let answered = match &answer.location {
        Some(to) if status.is_redirection() => format!("{url}: {status} to {to}"),
        _ => format!("{url}: {status}{said}"),
    };
    Err(Failure {
        code,
        message,
        answered,
    })
}

/// The message for an answer that cannot change by retrying: a redirect, or a 4xx.
fn refusal(url: &Url, answer: &Answer, said: &str) -> String {
    let status = answer.status;
    if status.is_redirection() {
        let to = answer
            .location
            .as_deref()
            .unwrap_or("nowhere (no Location)");
        return format!(
            "{url} answered {status} to {to}; sluice follows no redirect (it would send the \
             token and the alert there). The alert was not queued: give --to the intake's own \
             base URL (`sluice alerts list` on the host prints the command line)."
        );
    }
    let what = match status.as_u16() {
        404 | 405 => {
            "--to names no sluice intake: give the base URL of `sluice run`'s \
                      [response_intake] (enabled = true), like https://sluice.corp.local:10158"
        }
        413 => {
            "the CSV file is larger than the host's [response_intake] max_body_bytes: raise \
                it there"
        }
        415 => {
            "this sluice and the host's do not speak the same intake API: install the same \
                sluice version on both"
        }
        422 => {
            "check --pipeline: the host must have that pipeline, enabled, taking response \
                actions (intake.response_action)"
        }
        _ => {
            "check the response action's command line in Netwrix Auditor (`sluice alerts \
              list` on the host prints it)"
        }
    };
    format!(
        "sluice at {url} refused the alert: {status}{said}. The alert was not queued, and \
         sending it again as it is will not help: {what}."
    )
}

/// The failure for a request that got no answer: the host down, unreachable, too slow, or a
/// TLS handshake that failed. All are worth retrying, which Auditor does.
pub(super) fn unanswered(url: &Url, error: &reqwest::Error, timeout: Duration) -> Failure {
    const RETRY: &str = "Netwrix Auditor will retry the response action";
    let answered = if error.is_timeout() {
        format!(
            "{url}: no answer within {}",
            humantime::format_duration(timeout)
        )
    } else if is_tls(error) {
        format!("{url}: TLS handshake failed: {}", causes(error))
    } else if error.is_connect() {
        format!("{url}: cannot connect: {}", causes(error))
    } else {
        format!("{url}: no answer: {}", causes(error))
    };
    let message = if error.is_timeout() {
        format!(
            "no answer from sluice at {url} within {}: the alert was not confirmed as queued. \
             {RETRY} (a repeat of an alert the host did queue is recognised and ignored); if \
             this repeats, check that `sluice run` there is healthy (GET /healthz), or give a \
             longer --timeout.",
            humantime::format_duration(timeout)
        )
    } else if is_tls(error) {
        let causes = causes(error);
        // webpki's words for a self-signed certificate (CA:TRUE) given as --ca-file.
        let what = if causes.contains("CaUsedAsEndEntity") {
            "the intake presents a CA certificate (CA:TRUE) as its own, which is refused even \
             when --ca-file holds it: give the intake a certificate issued by a CA, and that \
             CA's certificate with --ca-file"
        } else {
            "give the certificate of the CA that issued the intake's certificate with \
             --ca-file, and if the intake asks for one (client_ca), a client certificate with \
             --client-cert and --client-key"
        };
        format!(
            "the TLS handshake with sluice at {url} failed: {causes}. The alert was not \
             queued; {RETRY}, in vain until this is fixed: {what}."
        )
    } else {
        format!(
            "cannot reach sluice at {url}: {}. The alert was not queued; {RETRY}. Check that \
             `sluice run` is running there with [response_intake] enabled, and that this \
             machine can reach that address and port (DNS, firewall).",
            causes(error)
        )
    };
    Failure {
        code: exit::TEMPFAIL,
        message,
        answered,
    }
}

/// Whether a rustls error is among `error`'s causes. rustls's error reaches reqwest's inside
/// an `io::Error`, whose `source()` skips what it wraps: look inside with `get_ref`.
fn is_tls(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if e.is::<rustls::Error>() {
            return true;
        }
        current = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    false
}

/// The causes of `error` (reqwest's own words, "error sending request for url (…)", say
/// nothing the message does not), or the error itself when it has none.
pub(super) fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = String::new();
    let mut current = error.source();
    while let Some(e) = current {
        let next = e.to_string();
        if !text.contains(&next) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&next);
        }
        current = e.source();
    }
    if text.is_empty() {
        text = error.to_string();
    }
    shown(&text)
}

/// The `error` of the host's JSON answer, shown safely; `None` for another body, which is
/// not repeated (it may be anything).
fn host_error(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Refusal {
        error: String,
    }
    let refusal: Refusal = serde_json::from_slice(body).ok()?;
    Some(shown(&refusal.error))
}

/// `text` as a message may show it, on one line: control characters and the marks that
/// reorder text (bidirectional overrides) escaped, at most [`MAX_ERROR_CHARS`] characters.
pub(super) fn shown(text: &str) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == MAX_ERROR_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            location: None,
            retry_after: Some("5".into()),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn the_message_has_the_url_the_hosts_words_and_what_to_do() {
        let url = Url::parse("https://h:1/v1/alerts").unwrap();
        let queued = judge(&url, &answer(200, r#"{"queued": true, "alerts": 1}"#), true);
        assert_eq!(queued.unwrap().alerts, 1);
        let fake = judge(&url, &answer(200, "<html>welcome</html>"), true).unwrap_err();
        assert_eq!(fake.code, exit::TEMPFAIL);

        let busy = judge(&url, &answer(503, r#"{"error": "busy"}"#), true).unwrap_err();
        assert_eq!(busy.code, exit::TEMPFAIL);
        for part in [
            "https://h:1/v1/alerts",
            "503 Service Unavailable",
            "Retry-After: 5",
        ] {
            assert!(busy.message.contains(part), "{part}: {}", busy.message);
        }
        let long = format!(
            r#"{{"error": "no pipeline\u001b[31m {}"}}"#,
            "x".repeat(400)
        );
        let refused = judge(&url, &answer(422, &long), true).unwrap_err();
        assert_eq!(refused.code, exit::DATAERR);
        assert!(refused.message.contains(r"no pipeline\u{1b}[31m xxx"));
        assert!(refused.message.contains("x…. The alert was not queued"));
        assert!(refused.message.contains("check --pipeline"));
        let denied = judge(&url, &answer(401, "{}"), false).unwrap_err();
        assert_eq!(denied.code, exit::NOPERM);
        assert!(denied.message.contains("no token was sent"));
    }

    #[test]
    fn only_an_intake_that_cannot_take_the_alert_now_is_passed_over() {
        let url = Url::parse("https://a:1/v1/alerts").unwrap();
        for status in [503, 429, 500, 502, 408] {
            let failure = judge(&url, &answer(status, "{}"), true).unwrap_err();
            assert!(failure.another_may_take_it(), "{status}");
        }
        for status in [401, 403, 400, 404, 413, 415, 422, 307] {
            let failure = judge(&url, &answer(status, "{}"), true).unwrap_err();
            assert!(!failure.another_may_take_it(), "{status}");
        }
        let fake = judge(&url, &answer(200, "<html/>"), true).unwrap_err();
        assert!(fake.another_may_take_it());
    }

    #[test]
    fn giving_up_says_what_each_intake_answered_then_what_to_do_at_each() {
        let a = Url::parse("https://a:1/v1/alerts").unwrap();
        let b = Url::parse("https://b:1/v1/alerts").unwrap();
        let busy = judge(&a, &answer(503, r#"{"error": "busy"}"#), true).unwrap_err();
        assert_eq!(
            busy.answered,
            "https://a:1/v1/alerts: 503 Service Unavailable: busy"
        );
        let one = gave_up(std::slice::from_ref(&busy), 0);
        assert_eq!(one, vec![busy.message.clone()]);

        let denied = judge(&b, &answer(401, "{}"), true).unwrap_err();
        let lines = gave_up(&[busy, denied], 2);
        assert_eq!(lines.len(), 3, "{lines:#?}");
        assert!(
            lines[0].starts_with(
                "no intake queued the alert: https://a:1/v1/alerts: 503 Service Unavailable: \
                 busy; https://b:1/v1/alerts: 401 Unauthorized. The 2 other intakes given with \
                 --to were not tried"
            ),
            "{}",
            lines[0]
        );
        assert!(lines[2].contains("refused the credentials"), "{}", lines[2]);
    }
}
