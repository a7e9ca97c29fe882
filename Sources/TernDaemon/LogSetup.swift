import Logging
import TernConfig

extension TernConfiguration.Log {
    /// Installs the process-wide log handler this section asks for; once per process.
    func bootstrap() {
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
