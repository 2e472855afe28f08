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
rem With several intakes in SLUICE_URL (hosts sharing one store), they are tried in order:
rem the next only when one could not take the alert now (not reachable, no answer in time,
rem TLS, HTTP 408, 429 or 5xx). Sending it again is safe even when the one before may have
rem queued it (no answer in time): sluice takes a repeated alert for the one it has. A refusal
rem any intake would repeat (a redirect, any other HTTP 4xx) ends the tries.
rem
rem Exit status: 0 once sluice has queued the alert (committed to its state store). Anything
rem else makes Auditor retry the action, which is safe: sluice ignores a repeated alert. With
rem several intakes, the status of the last one tried.
rem   2       this script's parameters, token file or SLUICE_URL are wrong; nothing was sent
rem   7       sluice cannot be reached (not running, wrong address, firewall)
rem   28      no answer within 30 seconds
rem   22      sluice refused the alert (HTTP 400 and up: 401 the token, 422 the pipeline,
rem           429 or 503 busy); its log says why
rem   47      a redirect, not followed: SLUICE_URL is not the intake's own address
rem   35, 60  TLS: the intake's certificate is not trusted here (README.md)

setlocal EnableExtensions DisableDelayedExpansion
rem The script runs itself to send the alert to each intake in turn (:try runs :send).
if "%~1"=="sluice-forward-send" goto :send

rem ---- Settings ------------------------------------------------------------------------
rem The intake's base URL: the sluice host's [response_intake] public_url. For several hosts
rem sharing one store, each one's, in the order to try them, separated by spaces or commas:
rem   set "SLUICE_URL=https://sluice1.corp.local:10158 https://sluice2.corp.local:10158"
set "SLUICE_URL=https://sluice.corp.local:10158"
rem The token file: the one line "Authorization: Bearer <token>", as
rem `sluice generate intake-token --out sluice-intake.token` writes it. Default: beside this
rem script. Readable by the account Auditor runs the action as, and administrators, only.
set "SLUICE_TOKEN_FILE=%~dp0sluice-intake.token"
rem Optional: a PEM file of the CA that issued the intake's certificate, when Windows does
rem not trust that CA already (curl 7.60 and later; else import the CA, see README.md).
set "SLUICE_CA_FILE="
rem --------------------------------------------------------------------------------------

set "SLUICE_SELF=%~f0"
set "SLUICE_CACERT="
if defined SLUICE_CA_FILE set SLUICE_CACERT=--cacert "%SLUICE_CA_FILE%"
if not exist "%SLUICE_TOKEN_FILE%" goto :no_token
if not defined SLUICE_URL goto :no_url
if "%~1"=="" goto :usage
set "SLUICE_ALERT_NAME=%~1"
set "SLUICE_ALERT_ID="
set "SLUICE_RECORD_ID="
set "SLUICE_CSV="
set "SLUICE_NAME_QUERY="
if not "%~3"=="" goto :ids
if not "%~2"=="" if exist "%~2" goto :csv
goto :usage

:ids
set "SLUICE_ALERT_ID=%~2"
set "SLUICE_RECORD_ID=%~3"
goto :intakes

:csv
rem The CSV file goes as the body, the name in the query string. curl 7.55 cannot encode a
rem query and batch cannot do it reliably, so PowerShell percent-encodes the name (as UTF-8).
set "SLUICE_CSV=%~2"
for /f "usebackq delims=" %%q in (`powershell.exe -NoProfile -NonInteractive -Command "[uri]::EscapeDataString($env:SLUICE_ALERT_NAME)"`) do set "SLUICE_NAME_QUERY=%%q"
if not defined SLUICE_NAME_QUERY goto :no_encoding
goto :intakes

:intakes
rem Each intake of SLUICE_URL in turn, until one has queued the alert or refused it (:try).
set "SLUICE_STOP="
set "SLUICE_EXIT="
set "SLUICE_SAID="
for %%u in (%SLUICE_URL%) do if not defined SLUICE_STOP call :try "%%~u"
if not defined SLUICE_EXIT goto :no_url
if "%SLUICE_STOP%"=="0" exit /b 0
>&2 echo sluice-forward: the alert was not queued:%SLUICE_SAID:~1%.
exit /b %SLUICE_EXIT%

:try
rem Sends the alert to the intake %1 and says whether to try the next. curl runs in :send,
rem a run of this script whose output is read here: the HTTP status (000 for none) and
rem curl's exit status, as batch cannot get both from one command otherwise.
set "SLUICE_TRY=%~1"
if "%SLUICE_TRY:~-1%"=="/" set "SLUICE_TRY=%SLUICE_TRY:~0,-1%"
set "SLUICE_HTTP="
set "SLUICE_RC="
for /f "tokens=1,2" %%a in ('call "%SLUICE_SELF%" sluice-forward-send') do (
  set "SLUICE_HTTP=%%a"
  set "SLUICE_RC=%%b"
)
rem One word only: curl did not run (9009: no curl.exe), and that word is the exit status.
if not defined SLUICE_RC set "SLUICE_RC=%SLUICE_HTTP%"
if not defined SLUICE_RC set "SLUICE_RC=1"
if not defined SLUICE_HTTP set "SLUICE_HTTP=000"
set "SLUICE_EXIT=%SLUICE_RC%"
set "SLUICE_WHAT=curl exit %SLUICE_RC%"
if "%SLUICE_RC%"=="6" set "SLUICE_WHAT=unknown host (curl exit 6)"
if "%SLUICE_RC%"=="7" set "SLUICE_WHAT=cannot connect (curl exit 7)"
if "%SLUICE_RC%"=="22" set "SLUICE_WHAT=HTTP %SLUICE_HTTP% (curl exit 22)"
if "%SLUICE_RC%"=="28" set "SLUICE_WHAT=no answer within 30 seconds (curl exit 28)"
if "%SLUICE_RC%"=="47" set "SLUICE_WHAT=a redirect, not followed (curl exit 47)"
rem Stop when queued (0), or at what any intake would repeat: this script's own files or
rem curl's options (2, 26, 58, 77), a redirect (47), an HTTP refusal but 408, 429 and 5xx.
if "%SLUICE_RC%"=="0" goto :try_stop
for %%c in (2 26 47 58 77) do if "%SLUICE_RC%"=="%%c" goto :try_stop
if not "%SLUICE_RC%"=="22" goto :try_next
if "%SLUICE_HTTP:~0,1%"=="5" goto :try_next
if "%SLUICE_HTTP%"=="408" goto :try_next
if "%SLUICE_HTTP%"=="429" goto :try_next
:try_stop
set "SLUICE_STOP=%SLUICE_RC%"
set "SLUICE_WHAT=%SLUICE_WHAT%, so no intake after it was tried"
:try_next
set "SLUICE_SAID=%SLUICE_SAID%; %SLUICE_TRY%: %SLUICE_WHAT%"
exit /b 0

:send
rem Run by :try: sends the alert to the intake SLUICE_TRY, with what the variables of the run
rem that started it hold, and prints the HTTP status and curl's exit status. --location with
rem --max-redirs 0 makes a redirect an error (47): neither followed nor taken for success.
if defined SLUICE_CSV goto :send_csv
rem The name and the ids as form fields, which curl encodes.
curl.exe --silent --show-error --fail --location --max-redirs 0 --max-time 30 %SLUICE_CACERT% -H @"%SLUICE_TOKEN_FILE%" --output NUL --write-out "%%{http_code} " --data-urlencode "alert_name=%SLUICE_ALERT_NAME%" --data-urlencode "alert_id=%SLUICE_ALERT_ID%" --data-urlencode "record_id=%SLUICE_RECORD_ID%" "%SLUICE_TRY%/v1/alerts"
echo %ERRORLEVEL%
exit /b 0

:send_csv
curl.exe --silent --show-error --fail --location --max-redirs 0 --max-time 30 %SLUICE_CACERT% -H @"%SLUICE_TOKEN_FILE%" --output NUL --write-out "%%{http_code} " -H "Content-Type: text/csv" --data-binary @"%SLUICE_CSV%" "%SLUICE_TRY%/v1/alerts?alert_name=%SLUICE_NAME_QUERY%"
echo %ERRORLEVEL%
exit /b 0

:no_token
>&2 echo sluice-forward: the token file "%SLUICE_TOKEN_FILE%" does not exist. Create it as README.md says, or set SLUICE_TOKEN_FILE at the top of this script. Nothing was sent.
exit /b 2

:no_url
>&2 echo sluice-forward: SLUICE_URL, at the top of this script, names no intake: set it to the intake's base URL, like https://sluice.corp.local:10158 (several separated by spaces or commas). Nothing was sent.
exit /b 2

:usage
>&2 echo sluice-forward: expected the alert's name, then {AlertID} {RecordID} or the path of an existing CSV file. In Netwrix Auditor, "With parameters" must be the alert's name in double quotes. Nothing was sent.
exit /b 2

:no_encoding
>&2 echo sluice-forward: PowerShell could not percent-encode the alert's name for the query string. Nothing was sent.
exit /b 2
