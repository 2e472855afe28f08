//! Which sign-in a config chooses, its keys, and whether the release has it: ServiceNow added
//! the client-credentials grant and API keys only in Washington DC (2024).

use sluice_sdk::PluginError;

use super::{OAuthGrant, ServiceNowConfig};
use crate::adapter::{self, Adapter};
use crate::signin::Method;

impl ServiceNowConfig {
    /// The sign-in this config chooses, refused if `adapter`'s release does not have it.
    pub(crate) fn sign_in_for(&self, adapter: &Adapter) -> Result<Method, PluginError> {
        let method = self.sign_in()?;
        check_sign_in_release(method, adapter)?;
        Ok(method)
    }

    /// The sign-in this config chooses, or the first problem with its keys.
    pub(crate) fn sign_in(&self) -> Result<Method, PluginError> {
        let method = match (&self.api_key, &self.oauth) {
            (Some(_), Some(_)) => {
                return Err(PluginError::config(
                    "both an API key and OAuth are configured; keep one way of signing in",
                )
                .at("api_key"))
            }
            (Some(_), None) => Method::ApiKey,
            (None, Some(oauth)) if oauth.grant == OAuthGrant::ClientCredentials => {
                Method::OAuthClientCredentials
            }
            (None, Some(_)) => Method::OAuthPassword,
            (None, None) => Method::Basic,
        };
        self.check_sign_in_keys(method)?;
        Ok(method)
    }

    /// The keys the method needs are there, and the ones it does not use are not.
    fn check_sign_in_keys(&self, method: Method) -> Result<(), PluginError> {
        let user_set = self
            .username
            .as_deref()
            .is_some_and(|u| !u.trim().is_empty());
        match method {
            Method::Basic | Method::OAuthPassword => {
                if !user_set {
                    return Err(PluginError::config(
                        "must name the integration user, like \"svc_sluice\" (or sign in with \
                         `api_key` or the OAuth client-credentials grant instead)",
                    )
                    .at("username"));
                }
                if self.password.as_ref().is_none_or(|p| p.expose().is_empty()) {
                    return Err(PluginError::config(
                        "must not be empty; write a secret reference like \"${SN_PASSWORD}\"",
                    )
                    .at("password"));
                }
            }
            Method::OAuthClientCredentials | Method::ApiKey => {
                let unused = if self.password.is_some() {
                    Some("password")
                } else if user_set {
                    Some("username")
                } else {
                    None
                };
                if let Some(key) = unused {
                    return Err(PluginError::config(format!(
                        "is not used with {}, which signs in as the user the instance \
                         assigned to it; remove `{key}`",
                        method.label()
                    ))
                    .at(key));
                }
            }
        }
        if let Some(key) = &self.api_key {
            if key.expose().trim().is_empty() {
                return Err(PluginError::config(
                    "must not be empty; write a secret reference like \"${SN_API_KEY}\"",
                )
                .at("api_key"));
            }
        }
        let Some(oauth) = &self.oauth else {
            return Ok(());
        };
        if oauth.client_id.trim().is_empty() {
            return Err(PluginError::config(
                "must be the client id of an OAuth application registered on the instance",
            )
            .at("oauth.client_id"));
        }
        if oauth.client_secret.expose().is_empty() {
            return Err(PluginError::config(
                "must not be empty; write a secret reference like \"${SN_CLIENT_SECRET}\"",
            )
            .at("oauth.client_secret"));
        }
        Ok(())
    }
}

/// Refuses a method `adapter`'s release does not have, naming the release that
/// introduced it.
pub(crate) fn check_sign_in_release(method: Method, adapter: &Adapter) -> Result<(), PluginError> {
    if adapter.has_sign_in(method) {
        return Ok(());
    }
    let since = adapter::introducing(method)
        .map(|a| format!("ServiceNow introduced it in {} ({})", a.title(), a.year()))
        .unwrap_or_else(|| "no supported release has it".to_owned());
    Err(PluginError::config(format!(
        "{} {} has no sign-in with {}: {since}. Use Basic authentication or the OAuth \
         password grant, or set `release` to the instance's release if it is newer",
        adapter.title(),
        adapter.year(),
        method.label(),
    ))
    .at(method.key()))
}
