// Helpers from an older part of the shop, written before rest parameters.

function joinAll() {
  var parts = [];
  for (var i = 0; i < arguments.length; i++) {
    parts.push(String(arguments[i]));
  }
  return parts.join(", ");
}

function stripPrivate(user) {
  delete user.password;
  delete user["sessionToken"];
  return user;
}

function resetAll(users) {
  users.forEach(function (u) {
    delete u.lastError;
  });
  var grid = new Array(users.length);
  var config = {};
  config.retries = 3;
  config.timeout = 1000;
  return { grid: grid, config: config };
}

module.exports = { joinAll, stripPrivate, resetAll };
