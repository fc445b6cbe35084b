// The admin API's changes to the deployment catalog (admin role): groups and their members and
// rules; profiles, apps and declarations, and the groups they are assigned to. Each change and
// its audit row are one transaction where the catalog offers one; the rest audit right after.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "accounts/audit.h"
#include "deploy/catalog.h"
#include "deploy/profile_file.h"
#include "json/json.h"
#include "service/admin_api.h"
#include "service/admin_json.h"
#include "service/admin_request.h"
#include "store/sql_util.h"

namespace mdm::service {
namespace {

using admin::JsonError;
using admin::JsonResponse;
using admin::StatusError;
using Kind = AdminRoute::Kind;

deploy::Kind CatalogKind(AdminRoute::Item item) {
  switch (item) {
    case AdminRoute::Item::kProfile: return deploy::Kind::kProfile;
    case AdminRoute::Item::kApp: return deploy::Kind::kApp;
    case AdminRoute::Item::kDeclaration: return deploy::Kind::kDeclaration;
  }
  return deploy::Kind::kProfile;
}

const char* ItemName(AdminRoute::Item item) {
  switch (item) {
    case AdminRoute::Item::kProfile: return "profile";
    case AdminRoute::Item::kApp: return "app";
    case AdminRoute::Item::kDeclaration: return "declaration";
  }
  return "profile";
}

const char* ChangeName(deploy::Change c) {
  return c == deploy::Change::kAdded ? "added" : c == deploy::Change::kEdited ? "edited" : "unchanged";
}

std::string IdentifierDetail(const std::string& id) { return "{\"identifier\": " + json::Quote(id) + "}"; }

// Device IDs, or serial numbers standing for the device that has each.
std::vector<std::string> DeviceIds(pqxx::transaction_base& tx, const std::vector<std::string>& given) {
  auto ids = tx.exec_params("SELECT coalesce((SELECT id FROM devices WHERE id = g), "
                            "  (SELECT id FROM devices WHERE serial_number = g LIMIT 1), g) "
                            "FROM unnest($1::text[]) WITH ORDINALITY AS x(g, n) ORDER BY n",
                            store::TextArray(given));
  std::vector<std::string> devices;
  for (const auto& r : ids) devices.push_back(r[0].as<std::string>());
  return devices;
}

// The body is the item itself (a .mobileconfig, a declaration's JSON), not a request object.
http::Response AddFile(const http::Request& req, const AdminRoute& route, pqxx::connection& conn,
                       const AdminCaller& caller) {
  if (route.kind == Kind::kAddProfile) {
    auto file = deploy::ReadProfile(req.body);
    if (!file.ok()) return JsonError(400, file.status().message());
    pqxx::work tx(conn);
    auto saved = deploy::AddProfile(tx, *file);
    if (!saved.ok()) return StatusError(saved.status());
    const char* change = ChangeName(saved->change);
    if (saved->change != deploy::Change::kUnchanged)
      accounts::Audit(tx, caller.actor, std::string("profile ") + change, {}, IdentifierDetail(file->identifier));
    tx.commit();
    return JsonResponse(200, "{\"identifier\": " + json::Quote(file->identifier) + ", \"change\": \"" + change +
                                 "\", \"version\": " + std::to_string(saved->version) + "}");
  }
  auto saved = deploy::AddDeclaration(conn, req.body);
  if (!saved.ok()) return StatusError(saved.status());
  const char* change = ChangeName(saved->change);
  if (saved->change != deploy::Change::kUnchanged)
    admin::AuditNow(conn, caller.actor, std::string("declaration ") + change, IdentifierDetail(saved->identifier));
  return JsonResponse(200, "{\"identifier\": " + json::Quote(saved->identifier) + ", \"change\": \"" + change +
                               "\", \"server_token\": " + json::Quote(saved->server_token) + "}");
}

}  // namespace

http::Response AdminApi::ChangeCatalog(const http::Request& req, const AdminRoute& route, pqxx::connection& conn,
                                       const AdminCaller& caller) {
  if (route.kind == Kind::kAddProfile || route.kind == Kind::kAddDeclaration) return AddFile(req, route, conn, caller);
  // Without a body.
  if (route.kind == Kind::kRemoveItem) {
    if (Status s = deploy::Remove(conn, CatalogKind(route.item), route.id, route.force); !s.ok()) return StatusError(s);
    admin::AuditNow(conn, caller.actor, std::string("remove ") + ItemName(route.item), IdentifierDetail(route.id));
    return JsonResponse(200, "{\"removed\": " + json::Quote(route.id) + "}");
  }
  if (route.kind == Kind::kDeleteGroup) {
    if (Status s = deploy::DeleteGroup(conn, route.id); !s.ok()) return StatusError(s);
    admin::AuditNow(conn, caller.actor, "delete group", "{\"group\": " + json::Quote(route.id) + "}");
    return JsonResponse(200, "{\"deleted\": " + json::Quote(route.id) + "}");
  }
  rapidjson::Document doc;
  if (Status s = json::Parse(req.body, &doc); !s.ok() || !doc.IsObject())
    return JsonError(400, "the body must be a JSON object");
  if (route.kind == Kind::kSetGroupRule) {
    // {} clears the rule; the catalog checks the keys and their values.
    std::string rule = doc.MemberCount() == 0 ? "" : req.body;
    if (Status s = deploy::SetGroupRule(conn, route.id, rule); !s.ok()) return StatusError(s);
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    doc.Accept(w);
    std::string written = rule.empty() ? "null" : std::string(buf.GetString(), buf.GetSize());
    admin::AuditNow(conn, caller.actor, "set group rule", "{\"group\": " + json::Quote(route.id) + ", \"rule\": " + written + "}");
    return JsonResponse(200, "{\"rule\": " + written + "}");
  }
  if (route.kind == Kind::kAddApp) {
    deploy::AppSpec app;
    auto id = admin::StringMember(doc, "identifier");
    if (!id || id->empty()) return JsonError(400, "identifier must be the app's bundle identifier");
    app.identifier = *id;
    if (doc.HasMember("itunes_store_id") && !doc["itunes_store_id"].IsNull()) {
      if (!doc["itunes_store_id"].IsInt64() || doc["itunes_store_id"].GetInt64() <= 0)
        return JsonError(400, "itunes_store_id must be the App Store ID, a whole number");
      app.itunes_store_id = doc["itunes_store_id"].GetInt64();
    }
    auto name = admin::StringMember(doc, "name");
    if (!name) return JsonError(400, "name must be a string");
    if (!name->empty()) app.name = *name;
    pqxx::work tx(conn);
    auto change = deploy::AddApp(tx, app);
    if (!change.ok()) return StatusError(change.status());
    if (*change != deploy::Change::kUnchanged)
      accounts::Audit(tx, caller.actor, std::string("app ") + ChangeName(*change), {}, IdentifierDetail(app.identifier));
    tx.commit();
    return JsonResponse(200, "{\"identifier\": " + json::Quote(app.identifier) + ", \"change\": \"" +
                                 ChangeName(*change) + "\"}");
  }
  pqxx::work tx(conn);
  std::string answer;
  if (route.kind == Kind::kCreateGroup) {
    auto name = admin::StringMember(doc, "name");
    if (!name || name->empty()) return JsonError(400, "name the group: {\"name\": ...}");
    auto parent = admin::StringMember(doc, "parent");
    if (!parent) return JsonError(400, "parent must be a group name");
    if (Status s = deploy::CreateGroup(tx, *name, *parent); !s.ok()) return StatusError(s);
    accounts::Audit(tx, caller.actor, "create group", {}, "{\"group\": " + json::Quote(*name) + "}");
    answer = "{\"created\": " + json::Quote(*name) + "}";
  } else if (route.kind == Kind::kAddGroupDevices || route.kind == Kind::kRemoveGroupDevices) {
    auto given = admin::Strings(doc, "device_ids");
    if (!given || given->empty()) return JsonError(400, "device_ids must be an array of device IDs or serial numbers");
    std::vector<std::string> devices = DeviceIds(tx, *given);
    const bool add = route.kind == Kind::kAddGroupDevices;
    auto n = add ? deploy::AddGroupDevices(tx, route.id, devices) : deploy::RemoveGroupDevices(tx, route.id, devices);
    if (!n.ok()) return StatusError(n.status());
    accounts::Audit(tx, caller.actor, add ? "add to group" : "remove from group", devices,
                    "{\"group\": " + json::Quote(route.id) + "}");
    answer = std::string(add ? "{\"added\": " : "{\"removed\": ") + std::to_string(*n) + "}";
  } else if (route.kind == Kind::kAssign || route.kind == Kind::kUnassign) {
    auto groups = admin::Strings(doc, "groups");
    if (!groups || groups->empty()) return JsonError(400, "groups must be an array of group names");
    const bool assign = route.kind == Kind::kAssign;
    deploy::Kind kind = CatalogKind(route.item);
    auto n = assign ? deploy::Assign(tx, kind, route.id, *groups) : deploy::Unassign(tx, kind, route.id, *groups);
    if (!n.ok()) return StatusError(n.status());
    accounts::Audit(tx, caller.actor, std::string(assign ? "assign " : "unassign ") + ItemName(route.item), {},
                    "{\"identifier\": " + json::Quote(route.id) + ", \"groups\": " + admin::JsonStrings(*groups) + "}");
    answer = std::string(assign ? "{\"assigned\": " : "{\"unassigned\": ") + std::to_string(*n) + "}";
  } else {
    return JsonError(404, "unknown catalog route");
  }
  tx.commit();
  return JsonResponse(200, answer);
}

}  // namespace mdm::service
