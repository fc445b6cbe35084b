#include "console_pages.h"

#include <cstdlib>
#include <filesystem>

#include "process.h"

namespace mdm::test {

std::string ConsoleUrl(Stack& stack) {
  std::string base = stack.base_url();
  return base.substr(0, base.rfind("/api-mdm.php")) + "/console/";
}

std::string Shot(Stack& stack, const std::string& name) {
  const char* dir = std::getenv("MDM_SCREENSHOT_DIR");
  std::string d = dir && *dir ? dir : stack.root();
  std::filesystem::create_directories(d);
  return d + "/" + name;
}

std::string File(Stack& stack, const std::string& name, const std::string& data) {
  std::string path = stack.root() + "/" + name;
  WriteFile(path, data);
  return path;
}

void ClickOn(WebBrowser& b, const std::string& css) {
  std::string element = b.WaitFor(css);
  b.Script("document.querySelector('" + css + "').scrollIntoView({block: 'center'}); return true");
  b.Click(element);
}

void LogIn(WebBrowser& b, Stack& stack, const std::string& name, const std::string& password) {
  b.Go(ConsoleUrl(stack) + "#/login");
  b.Type(b.WaitFor("#login-name"), name);
  b.Type(b.Find("#login-password"), password);
  b.Click(b.Find("#login-submit"));
}

void LogInAs(WebBrowser& b, Stack& stack, const std::string& name, const std::string& password) {
  b.Go(ConsoleUrl(stack) + "#/dashboard");
  b.WaitFor("#login-name, [data-test=logout]");
  if (b.TryFind("[data-test=logout]") && b.Displayed(b.Find("[data-test=logout]"))) ClickOn(b, "[data-test=logout]");
  b.Type(b.WaitFor("#login-name"), name);
  b.Type(b.Find("#login-password"), password);
  ClickOn(b, "#login-submit");
  b.WaitFor("#dashboard");
  WatchCsp(b);
}

void WatchCsp(WebBrowser& b) {
  b.Script(R"(
    if (!window.mdmCspViolations) {
      window.mdmCspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.mdmCspViolations.push(
        e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));
    }
    return true;)");
}

std::string CspViolations(WebBrowser& b) { return b.Script("return window.mdmCspViolations || null"); }

}  // namespace mdm::test
