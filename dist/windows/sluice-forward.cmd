@echo off
rem sluice-forward.cmd: a Netwrix Auditor response action that forwards the alert to
rem `sluice run` on another machine, to its [response_intake], with Windows' own curl.exe
rem (Windows 10 1803, Windows Server 2019 and later). README.md, beside this file in the
rem sluice sources (dist/windows), says how to install it.
rem
rem In Auditor, on the alert's Response Action tab:
rem   Run:             C:\Program Files\sluice\sluice-forward.cmd
rem   With parameters: "the alert's name", in double quotes (`sluice alerts list` prints it)
rem Auditor appends {AlertID} {RecordID}: %1 is the alert's name, %2 the AlertID, %3 the
rem RecordID. With "Write data to CSV file", Auditor passes the path of the CSV file instead
rem of the two ids: %2 is then the CSV file, which is sent as it is.
rem
rem Exit status: 0 once sluice has queued the alert (committed to its state store). Anything
rem else makes Auditor retry the action, which is safe: sluice ignores a repeated alert.
rem   2       this script's parameters or token file are wrong; nothing was sent
rem   7       sluice cannot be reached (not running, wrong address, firewall)
rem   28      no answer within 30 seconds
rem   22      sluice refused the alert (HTTP 400 and up: 401 the token, 422 the pipeline,
rem           429 or 503 busy); its log says why
rem   47      a redirect, not followed: SLUICE_URL is not the intake's own address
rem   35, 60  TLS: the intake's certificate is not trusted here (README.md)

setlocal EnableExtensions DisableDelayedExpansion

rem ---- Settings ------------------------------------------------------------------------
rem The intake's base URL: the sluice host's [response_intake] public_url.
set "SLUICE_URL=https://sluice.corp.local:10158"
rem The token file: the one line "Authorization: Bearer <token>", as
rem `sluice generate intake-token --out sluice-intake.token` writes it. Default: beside this
rem script. Readable by the account Auditor runs the action as, and administrators, only.
set "SLUICE_TOKEN_FILE=%~dp0sluice-intake.token"
rem Optional: a PEM file of the CA that issued the intake's certificate, when Windows does
rem not trust that CA already (curl 7.60 and later; else import the CA, see README.md).
set "SLUICE_CA_FILE="
rem --------------------------------------------------------------------------------------

if "%SLUICE_URL:~-1%"=="/" set "SLUICE_URL=%SLUICE_URL:~0,-1%"
set "SLUICE_CACERT="
if defined SLUICE_CA_FILE set SLUICE_CACERT=--cacert "%SLUICE_CA_FILE%"
if not exist "%SLUICE_TOKEN_FILE%" goto :no_token
if "%~1"=="" goto :usage
if not "%~3"=="" goto :ids
if not "%~2"=="" if exist "%~2" goto :csv
goto :usage

:ids
rem The name and the ids as form fields, which curl encodes. --location with --max-redirs 0
rem makes a redirect an error (47): neither followed nor taken for success.
curl.exe --silent --show-error --fail --location --max-redirs 0 --max-time 30 %SLUICE_CACERT% -H @"%SLUICE_TOKEN_FILE%" --data-urlencode "alert_name=%~1" --data-urlencode "alert_id=%~2" --data-urlencode "record_id=%~3" "%SLUICE_URL%/v1/alerts"
exit /b %ERRORLEVEL%

:csv
rem The CSV file as the body, the name in the query string. curl 7.55 cannot encode a query
rem and batch cannot do it reliably, so PowerShell percent-encodes the name (as UTF-8).
set "SLUICE_ALERT_NAME=%~1"
set "SLUICE_NAME_QUERY="
for /f "usebackq delims=" %%q in (`powershell.exe -NoProfile -NonInteractive -Command "[uri]::EscapeDataString($env:SLUICE_ALERT_NAME)"`) do set "SLUICE_NAME_QUERY=%%q"
if not defined SLUICE_NAME_QUERY goto :no_encoding
curl.exe --silent --show-error --fail --location --max-redirs 0 --max-time 30 %SLUICE_CACERT% -H @"%SLUICE_TOKEN_FILE%" -H "Content-Type: text/csv" --data-binary @"%~2" "%SLUICE_URL%/v1/alerts?alert_name=%SLUICE_NAME_QUERY%"
exit /b %ERRORLEVEL%

:no_token
>&2 echo sluice-forward: the token file "%SLUICE_TOKEN_FILE%" does not exist. Create it as README.md says, or set SLUICE_TOKEN_FILE at the top of this script. Nothing was sent.
exit /b 2

:usage
>&2 echo sluice-forward: expected the alert's name, then {AlertID} {RecordID} or the path of an existing CSV file. In Netwrix Auditor, "With parameters" must be the alert's name in double quotes. Nothing was sent.
exit /b 2

:no_encoding
>&2 echo sluice-forward: PowerShell could not percent-encode the alert's name for the query string. Nothing was sent.
exit /b 2
