import Foundation
import Hummingbird

extension TrackingServer {
    /// Lets the request through when no token is configured, or when it carries the token as a bearer
    /// token or as the password of HTTP basic; anything else is a 401 in MLflow's error shape.
    func authorize(_ request: Request) throws(APIError) {
        guard let token = configuration.authToken else { return }
        let denied = APIError("UNAUTHENTICATED", "Authentication required: send the server's token as a bearer token or as the HTTP basic password.")
        guard let header = request.headers[.authorization] else { throw denied }
        if header.count > 7, header.prefix(7).lowercased() == "bearer " {
            guard Self.constantTimeEqual(String(header.dropFirst(7)), token) else { throw denied }
            return
        }
        if header.count > 6, header.prefix(6).lowercased() == "basic ",
            let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let credentials = String(data: data, encoding: .utf8), let colon = credentials.firstIndex(of: ":")
        {
            let user = String(credentials[..<colon])
            let password = String(credentials[credentials.index(after: colon)...])
            // Both comparisons always run, so the time taken says nothing about which part was wrong.
            let userMatches = configuration.authUsername.map { Self.constantTimeEqual(user, $0) } ?? true
            let passwordMatches = Self.constantTimeEqual(password, token)
            guard userMatches && passwordMatches else { throw denied }
            return
        }
        throw denied
    }

    /// Compares every byte of both strings whatever their contents, so timing reveals at most the length.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }
}
