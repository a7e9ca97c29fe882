#if canImport(Glibc)
import Glibc
#endif
import Logging
import TernConfig

extension TernConfiguration.Log {
    /// Installs the process-wide log handler this section asks for; once per process.
    func bootstrap() {
        // With TZ unset glibc stats /etc/localtime again for every timestamp, one system call
        // per log line; naming the zone file reads it once (a zone changed later needs a restart).
        if getenv("TZ") == nil { setenv("TZ", ":/etc/localtime", 0) }
        let level = Logger.Level(rawValue: self.level.rawValue) ?? .info
        let format = self.format
        LoggingSystem.bootstrap { label in
            switch format {
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}
