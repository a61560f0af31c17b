<%--
  The application tier of the reference platform: records kept in the database, reached
  through its write VIP (system properties progres.db.url, progres.db.user,
  progres.db.password).

  POST /records  id=ID&value=VALUE  stores a record: 200 "stored ID" once committed
                                    (409 if ID is already stored)
  GET  /records?id=ID               its value, or 404
  GET  /records                     "records N": how many there are
  Every answer names the application node in the header X-App-Node; a database that
  cannot be reached is a 503 with the driver's message.
--%><%@ page import="java.sql.*,java.net.InetAddress" contentType="text/plain; charset=UTF-8"
    session="false" trimDirectiveWhitespaces="true" %><%!
    // The node's name, looked up once: getLocalHost() resolves the host name and throws
    // when it does not resolve, which must not turn every answer into a 500.
    private static final String NODE = nodeName();

    private static String nodeName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            String name = System.getenv("HOSTNAME");
            return name != null ? name : "unknown";
        }
    }
%><%
response.setHeader("X-App-Node", NODE);
response.setHeader("Cache-Control", "no-store");
String url = System.getProperty("progres.db.url");
String user = System.getProperty("progres.db.user", "app");
String password = System.getProperty("progres.db.password", "");
String id = request.getParameter("id");
try {
    Class.forName("org.mariadb.jdbc.Driver");
    try (Connection db = DriverManager.getConnection(url, user, password)) {
        if ("POST".equals(request.getMethod())) {
            String value = request.getParameter("value");
            if (id == null || value == null) {
                response.setStatus(400);
                out.println("POST needs id and value");
                return;
            }
            try (PreparedStatement s = db.prepareStatement(
                    "INSERT INTO records (id, value) VALUES (?, ?)")) {
                s.setString(1, id);
                s.setString(2, value);
                s.executeUpdate();
            } catch (SQLIntegrityConstraintViolationException e) {
                // the database answered: a conflict, not an unreachable database
                response.setStatus(409);
                out.println("record " + id + " exists");
                return;
            }
            out.println("stored " + id);
        } else if (id != null) {
            try (PreparedStatement s = db.prepareStatement(
                    "SELECT value FROM records WHERE id = ?")) {
                s.setString(1, id);
                try (ResultSet r = s.executeQuery()) {
                    if (r.next()) {
                        out.println(r.getString(1));
                    } else {
                        response.setStatus(404);
                        out.println("no record " + id);
                    }
                }
            }
        } else {
            try (Statement s = db.createStatement();
                 ResultSet r = s.executeQuery("SELECT COUNT(*) FROM records")) {
                r.next();
                out.println("records " + r.getLong(1));
            }
        }
    }
} catch (ClassNotFoundException | SQLException e) {
    response.setStatus(503);
    out.println("database: " + e.getMessage());
}
%>
