// What the web console's browser tests (console_*browser_test.cpp, console_firefox_test.cpp) do
// in its pages, through the WebBrowser interface, so in Chromium and in Firefox alike.
// console_checks.h has CheckNoCspViolation, the Catch2 check that goes with WatchCsp.
#pragma once

#include <string>

#include "stack.h"
#include "web_browser.h"

namespace mdm::test {

// https://localhost:PORT/console/
std::string ConsoleUrl(Stack& stack);

// Where a screenshot named `name` goes: $MDM_SCREENSHOT_DIR (made if missing), else the stack's
// folder.
std::string Shot(Stack& stack, const std::string& name);

// Writes `data` to the file `name` in the stack's folder (for an <input type=file>); its path.
std::string File(Stack& stack, const std::string& name, const std::string& data);

// Clicks the first element `css` matches once it is displayed, scrolled to the middle of the
// window first: the sticky message at the top would take a click at the window's edge. `css`
// must not hold a single quote.
void ClickOn(WebBrowser& b, const std::string& css);

// Fills in the login form and submits it, nothing more: no logout first, no waiting for what the
// server answers (a wrong password stays on the form).
void LogIn(WebBrowser& b, Stack& stack, const std::string& name, const std::string& password);

// Logs out whoever is logged in, logs in as `name`, waits for the dashboard, and watches for
// Content-Security-Policy violations (WatchCsp).
void LogInAs(WebBrowser& b, Stack& stack, const std::string& name, const std::string& password);

// Records from now on what the loaded page's Content-Security-Policy refuses in
// window.mdmCspViolations: "directive blocked-URI source-file:line" each. Hash navigations keep
// the page and so the record; a full load drops both. Installed once a page: a second call keeps
// the record.
void WatchCsp(WebBrowser& b);

// What WatchCsp has recorded, as JSON text: "[]" when nothing, "null" when not watching.
std::string CspViolations(WebBrowser& b);

}  // namespace mdm::test
