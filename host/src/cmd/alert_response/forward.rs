//! `sluice alert-response --to URL`: forwards the alert to `sluice run` on another machine,
//! over HTTPS, to its `[response_intake]` (`POST /v1/alerts`).
//!
//! Several hosts sharing one store each serve an intake, and `--to` may name them all: they
//! are tried in order, the next only while the alert could not be taken
//! ([`Failure::another_may_take_it`]), so a response action still works with any one host
//! down.
//!
//! Netwrix Auditor runs response actions on its own server, a Windows machine where sluice
//! usually does not run and has no config: so nothing is read but the arguments, the token and
//! the certificates named. The exit status says what became of the alert, and only 0 means
//! the host committed it: on anything else Auditor retries the action, which is safe, as the
//! host recognises a repeated alert. The codes beyond 0 ([`exit::TEMPFAIL`], [`exit::NOPERM`],
//! [`exit::DATAERR`]) say whether waiting can help.
//!
//! What the host answered becomes an exit code and a message in `forward/answer.rs`.
//!
//! No Unix-only API here: a Windows build of `sluice` needs this file as it is.

mod answer;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use clap::{ArgAction, Args};
use reqwest::header::{CONTENT_TYPE, LOCATION, RETRY_AFTER};
use reqwest::Url;

use self::answer::{causes, gave_up, judge, shown, unanswered, Answer, Failure};
use super::{check_id, csv, AlertResponseArgs};
use crate::exit;
use crate::intake::parse_token;
use sluice_core::{read_regular_bytes, Secrets, CONFIG_FILE_LIMIT};

/// The variable that holds the token when no `--token-file` is given.
pub(crate) const TOKEN_ENV: &str = "SLUICE_INTAKE_TOKEN";

/// The intake's endpoint, under the base URL `--to` gives.
const ALERTS_PATH: &str = "/v1/alerts";

/// The most of a token file read: a token is a line; anything larger is some other file.
const TOKEN_FILE_LIMIT: u64 = 64 * 1024;

/// The most of an answer read: the intake answers a line of JSON.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The options of `sluice alert-response` that forward the alert instead of queuing it here.
#[derive(Debug, Args)]
#[command(next_help_heading = "Forwarding to sluice on another machine")]
pub struct ForwardArgs {
    /// Send the alert to `sluice run` on another machine, to the base URL of its
    /// [response_intake] (`https://sluice.corp.local:10158`), instead of queuing it here;
    /// several, repeated or separated by commas, are tried in order. No config file is read.
    ///
    /// For several hosts sharing one store: the next is tried only when one could not take
    /// the alert now (down, unreachable, TLS failure, no answer in time, busy); a refusal of
    /// the token or the request ends the tries, as every host would answer alike.
    #[arg(long, value_name = "URL", action = ArgAction::Append, value_delimiter = ',')]
    pub to: Vec<String>,
    /// The file holding the intake's token: the token alone, or the line
    /// `Authorization: Bearer <token>` (as `sluice generate intake-token` writes it).
    /// Default: the variable SLUICE_INTAKE_TOKEN, if set.
    #[arg(long, value_name = "FILE", requires = "to")]
    pub token_file: Option<PathBuf>,
    /// A client certificate (PEM) for intakes that ask for one (`client_ca`), its chain after
    /// it; with its private key unless --client-key names it.
    #[arg(long, value_name = "FILE", requires = "to")]
    pub client_cert: Option<PathBuf>,
    /// The client certificate's private key (PEM), when it is not in --client-cert's file.
    #[arg(long, value_name = "FILE", requires_all = ["to", "client_cert"])]
    pub client_key: Option<PathBuf>,
    /// CA certificates (PEM) to trust for the intake's certificate, besides the system's.
    #[arg(long, value_name = "FILE", requires = "to")]
    pub ca_file: Option<PathBuf>,
    /// How long to wait for each host's answer, connecting included: with several --to, up to
    /// this long for each in turn.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "30s",
        value_parser = humantime::parse_duration,
        requires = "to"
    )]
    pub timeout: Duration,
}

/// What is sent to each intake: the query under its endpoint, the content type and body.
#[derive(Debug)]
struct Request {
    query: Vec<(&'static str, String)>,
    content_type: &'static str,
    body: Vec<u8>,
}

impl Request {
    /// The URL to post to at the intake endpoint `endpoint`.
    fn url(&self, endpoint: &Url) -> Url {
        let mut url = endpoint.clone();
        if !self.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&self.query);
        }
        url
    }
}

/// Forwards the alert `args` describe to the intakes at `to`, in turn, until one commits it
/// or refuses it as any would. Local problems (arguments, files) are errors, found before
/// anything is sent; what the hosts answered, or that they did not, is the exit code, with
/// its message printed here.
pub(crate) fn run(args: &AlertResponseArgs, to: &[String]) -> anyhow::Result<ExitCode> {
    let endpoints = intake_urls(to).map_err(anyhow::Error::msg)?;
    let request = request(args)?;
    let token = token(&args.forward)?;
    let client = client(&args.forward)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime for the HTTP client")?;
    let token = token.as_deref();
    let mut failures: Vec<Failure> = Vec::new();
    for (tried, endpoint) in endpoints.iter().enumerate() {
        let url = request.url(endpoint);
        // `--timeout` bounds each request: all told, at most one timeout per intake.
        let outcome = match runtime.block_on(send(&client, url.clone(), &request, token)) {
            Ok(answer) => judge(&url, &answer, token.is_some()),
            Err(error) => Err(unanswered(&url, &error, args.forward.timeout)),
        };
        let failure = match outcome {
            Ok(queued) => {
                tracing::debug!(
                    %url, alerts = queued.alerts, pipelines = ?queued.pipelines,
                    "The host committed the alert."
                );
                detour(&url, &failures);
                return Ok(ExitCode::from(exit::OK));
            }
            Err(failure) => failure,
        };
        let go_on = failure.another_may_take_it();
        failures.push(failure);
        if !go_on {
            let untried = endpoints.len() - tried - 1;
            return Ok(ExitCode::from(report(&failures, untried)));
        }
    }
    Ok(ExitCode::from(report(&failures, 0)))
}

/// Says which intakes failed before the one at `url` queued the alert. Auditor looks at the
/// exit code only; this is for whoever runs the command by hand, to see a host down.
fn detour(url: &Url, failures: &[Failure]) {
    if failures.is_empty() {
        return;
    }
    let before: Vec<&str> = failures.iter().map(|f| f.answered.as_str()).collect();
    let before = before.join("; ");
    eprintln!(
        "warning: sluice at {url} queued the alert; before it, {}.",
        sluice_core::redact(&before)
    );
}

/// Prints why no intake queued the alert; the exit code: the last failure's, which is the
/// refusal that ended the tries, or [`exit::TEMPFAIL`] when no intake could take it now.
fn report(failures: &[Failure], untried: usize) -> u8 {
    for line in gave_up(failures, untried) {
        eprintln!("error: {}", sluice_core::redact(&line));
    }
    failures.last().map_or(exit::TEMPFAIL, |f| f.code)
}

/// The intake endpoints `to` names, in order, each once: every `--to` value, and each URL of
/// a value that lists several with commas (clap splits them), blanks skipped.
fn intake_urls(to: &[String]) -> Result<Vec<Url>, String> {
    let mut urls = Vec::new();
    for base in to.iter().filter(|base| !base.trim().is_empty()) {
        let url = intake_url(base)?;
        if !urls.contains(&url) {
            urls.push(url);
        }
    }
    if urls.is_empty() {
        return Err("--to names no URL: give the base URL of an intake, like \
             https://sluice.corp.local:10158 (repeat --to, or separate URLs with commas, for \
             several). Nothing was sent."
            .to_owned());
    }
    Ok(urls)
}

/// The intake's endpoint for the base URL `base`: `https://h:1` and `https://h:1/` give
/// `https://h:1/v1/alerts` (and so does that URL itself). A user name or password in it is
/// refused, and not repeated: the token goes in the `Authorization` header only.
pub(crate) fn intake_url(base: &str) -> Result<Url, String> {
    const LIKE: &str = "give the intake's base URL, like https://sluice.corp.local:10158";
    let mut url = Url::parse(base.trim())
        .map_err(|e| format!("the --to URL {base:?} is not a URL ({e}): {LIKE}"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "the --to URL holds a user name or password: {LIKE}, and the token with \
             --token-file or {TOKEN_ENV}"
        ));
    }
    if !matches!(url.scheme(), "https" | "http") {
        return Err(format!("the --to URL {base:?} is not http(s): {LIKE}"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "the --to URL {base:?} has a query or fragment: {LIKE}"
        ));
    }
    let path = url.path().trim_end_matches('/');
    let path = path.strip_suffix(ALERTS_PATH).unwrap_or(path).to_owned();
    url.set_path(&format!("{path}{ALERTS_PATH}"));
    Ok(url)
}

/// The request for the alert, the same for every intake: one CSV file, as Auditor's "Write
/// data to CSV file" mode passes it, is sent as it is, the alert's name and pipeline in the
/// query; the last two arguments, `{AlertID} {RecordID}`, as JSON.
fn request(args: &AlertResponseArgs) -> anyhow::Result<Request> {
    if let [one] = args.args.as_slice() {
        let path = Path::new(one);
        if !path.exists() {
            bail!(
                "expected <AlertID> <RecordID>, or the path of a CSV file; {} is neither. Check \
                 the response action's command line in Netwrix Auditor (`sluice alerts list` \
                 on the host prints it); nothing was sent.",
                path.display()
            );
        }
        let body = read_regular_bytes(path, csv::CSV_LIMIT)
            .with_context(|| format!("cannot send the CSV file {}", path.display()))?;
        let fields = [
            ("alert_name", &args.alert_name),
            ("pipeline", &args.pipeline),
        ];
        let query = fields
            .into_iter()
            .filter_map(|(key, value)| Some((key, value.clone()?)))
            .collect();
        return Ok(Request {
            query,
            content_type: "text/csv",
            body,
        });
    }
    let [.., alert_id, record_id] = args.args.as_slice() else {
        bail!("expected <AlertID> <RecordID>, or the path of a CSV file; nothing was sent");
    };
    check_id("AlertID", alert_id)?;
    check_id("RecordID", record_id)?;
    let mut body = serde_json::json!({ "alert_id": alert_id, "record_id": record_id });
    let fields = [
        ("alert_name", &args.alert_name),
        ("pipeline", &args.pipeline),
    ];
    for (key, value) in fields {
        if let Some(value) = value {
            body[key] = value.as_str().into();
        }
    }
    Ok(Request {
        query: Vec::new(),
        content_type: "application/json",
        body: body.to_string().into_bytes(),
    })
}

/// The token, from `--token-file` or the variable; `None` when neither is given (an intake
/// on loopback, or one that takes client certificates only). It is registered as a secret,
/// so no message can show it.
fn token(args: &ForwardArgs) -> anyhow::Result<Option<String>> {
    const FORMAT: &str = "it must hold the token alone, or the line `Authorization: Bearer \
                          <token>` that `sluice generate intake-token` writes";
    let token = match &args.token_file {
        Some(path) => {
            let content = read_regular_bytes(path, TOKEN_FILE_LIMIT)
                .context("cannot read the token file; nothing was sent")?;
            parse_token(&content).map_err(|problem| {
                anyhow!(
                    "the token file {} {problem}: {FORMAT}. Nothing was sent.",
                    path.display()
                )
            })?
        }
        None => match std::env::var_os(TOKEN_ENV) {
            None => return Ok(None),
            Some(value) => parse_token(value.as_encoded_bytes()).map_err(|problem| {
                anyhow!("the variable {TOKEN_ENV} {problem}: {FORMAT}. Nothing was sent.")
            })?,
        },
    };
    let mut secrets = Secrets::default();
    secrets.insert(&token);
    secrets.register();
    Ok(Some(token))
}

/// The HTTP client: the system's roots plus `--ca-file` and the client certificate, through
/// reqwest's own rustls setup (the one `capabilities/tls.rs` mirrors for the host's
/// components, with the host's ring provider). The host's `HttpClient` takes the client
/// certificate and its key in one file; here they may come in two, and are joined in memory.
/// Never a redirect: it would send the token and the alert to wherever it points.
fn client(args: &ForwardArgs) -> anyhow::Result<reqwest::Client> {
    crate::capabilities::install_crypto_provider();
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("sluice/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(args.timeout)
        .tls_version_min(reqwest::tls::Version::TLS_1_2);
    if let Some(path) = &args.ca_file {
        let pem = read_regular_bytes(path, CONFIG_FILE_LIMIT).context("cannot read --ca-file")?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem)
            .ok()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                anyhow!(
                    "--ca-file {} holds no PEM certificate (-----BEGIN CERTIFICATE-----): give \
                     the certificate of the CA that issued the intake's certificate",
                    path.display()
                )
            })?;
        builder = builder.tls_certs_merge(certificates);
    }
    if let Some(cert) = &args.client_cert {
        builder = builder.identity(identity(cert, args.client_key.as_deref())?);
    }
    builder
        .build()
        .map_err(|e| anyhow!("cannot set up the HTTP client: {}", causes(&e)))
}

/// The client certificate of `cert` with the private key of `key` (else of `cert` too).
fn identity(cert: &Path, key: Option<&Path>) -> anyhow::Result<reqwest::Identity> {
    let mut pem =
        read_regular_bytes(cert, CONFIG_FILE_LIMIT).context("cannot read --client-cert")?;
    if let Some(key) = key {
        pem.push(b'\n');
        pem.extend(read_regular_bytes(key, CONFIG_FILE_LIMIT).context("cannot read --client-key")?);
    }
    reqwest::Identity::from_pem(&pem).map_err(|_| {
        anyhow!(
            "no client certificate and private key in {}{}: give the certificate (PEM, \
             -----BEGIN CERTIFICATE-----) with --client-cert and its unencrypted private key \
             (PEM: PKCS#8, PKCS#1 or SEC1) with --client-key",
            cert.display(),
            key.map(|k| format!(" and {}", k.display()))
                .unwrap_or_default()
        )
    })
}

/// Sends `request` to `url`, with `token` as a bearer token; the answer, its body cut at
/// [`MAX_ANSWER_BYTES`].
async fn send(
    client: &reqwest::Client,
    url: Url,
    request: &Request,
    token: Option<&str>,
) -> Result<Answer, reqwest::Error> {
    let mut builder = client
        .post(url)
        .header(CONTENT_TYPE, request.content_type)
        .body(request.body.clone());
    if let Some(token) = token {
        builder = builder.bearer_auth(token);
    }
    let mut response = builder.send().await?;
    let header = |name| {
        let value = response.headers().get(name)?;
        Some(shown(&String::from_utf8_lossy(value.as_bytes())))
    };
    let (location, retry_after) = (header(LOCATION), header(RETRY_AFTER));
    let status = response.status();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_ANSWER_BYTES - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() == MAX_ANSWER_BYTES {
            break;
        }
    }
    Ok(Answer {
        status,
        location,
        retry_after,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::answer::exit_code;
    use super::*;

    #[test]
    fn a_token_file_holds_the_token_or_the_header_line() {
        let token = "3f9a0c-Zz_.~+/=";
        for content in [
            "3f9a0c-Zz_.~+/=",
            "3f9a0c-Zz_.~+/=\n",
            "  3f9a0c-Zz_.~+/=\r\n\r\n",
            "Authorization: Bearer 3f9a0c-Zz_.~+/=\r\n",
            "authorization:bearer   3f9a0c-Zz_.~+/=",
            "\u{feff}Authorization: Bearer 3f9a0c-Zz_.~+/=\n",
        ] {
            assert_eq!(
                parse_token(content.as_bytes()).as_deref(),
                Ok(token),
                "{content:?}"
            );
        }
    }

    #[test]
    fn a_bad_token_file_is_refused_without_quoting_it() {
        for (content, problem) in [
            ("", "is empty"),
            (" \r\n\n", "is empty"),
            ("secret-one\nsecret-two\n", "more than one line"),
            (
                "Authorization: Basic c2VjcmV0LW9uZQ==",
                "without `Bearer <token>`",
            ),
            ("Authorization: Bearer", "without `Bearer <token>`"),
            ("secret one", "spaces"),
            ("sécret-one", "non-ASCII"),
        ] {
            let error = parse_token(content.as_bytes()).unwrap_err();
            assert!(error.contains(problem), "{content:?}: {error}");
            assert!(
                !error.contains("secret") && !error.contains("c2Vj"),
                "{error}"
            );
        }
        assert_eq!(parse_token(b"\xff\xfe"), Err("is not UTF-8 text"));
    }

    #[test]
    fn the_endpoint_is_under_the_base_url() {
        for base in [
            "https://h:1",
            "https://h:1/",
            " https://h:1/v1/alerts ",
            "HTTPS://h:1//",
        ] {
            assert_eq!(intake_url(base).unwrap().as_str(), "https://h:1/v1/alerts");
        }
        assert_eq!(
            intake_url("http://127.0.0.1:10158/sluice/")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:10158/sluice/v1/alerts"
        );
    }

    #[test]
    fn several_intakes_are_kept_in_order_each_once() {
        let to = [
            "https://a:1",
            " https://b:1/",
            "",
            "https://a:1/v1/alerts",
            " ",
        ]
        .map(String::from);
        let urls: Vec<String> = intake_urls(&to)
            .unwrap()
            .iter()
            .map(Url::to_string)
            .collect();
        assert_eq!(urls, ["https://a:1/v1/alerts", "https://b:1/v1/alerts"]);
        assert!(intake_urls(&[" ".into(), String::new()])
            .unwrap_err()
            .contains("no URL"));
        let error = intake_urls(&["https://a:1".into(), "b:1".into()]).unwrap_err();
        assert!(error.contains("\"b:1\""), "{error}");
    }

    #[test]
    fn a_base_url_that_cannot_be_right_is_refused() {
        for base in ["sluice.corp.local:10158", "ftp://h/", "https://h/?a=b", "h"] {
            assert!(intake_url(base).is_err(), "{base}");
        }
        let error = intake_url("https://svc:hunter22@h:1").unwrap_err();
        assert!(
            !error.contains("hunter22") && error.contains("--token-file"),
            "{error}"
        );
    }

    #[test]
    fn only_200_is_success_and_the_rest_says_whether_retrying_helps() {
        assert_eq!(exit_code(200), exit::OK);
        for status in [401, 403] {
            assert_eq!(exit_code(status), exit::NOPERM, "{status}");
        }
        for status in [400, 404, 405, 413, 415, 422, 301, 307, 308] {
            assert_eq!(exit_code(status), exit::DATAERR, "{status}");
        }
        for status in [408, 429, 500, 502, 503, 504, 201, 202, 204] {
            assert_eq!(exit_code(status), exit::TEMPFAIL, "{status}");
        }
    }
}
