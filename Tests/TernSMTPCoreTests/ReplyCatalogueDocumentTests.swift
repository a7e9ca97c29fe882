import Foundation
import Testing
import TernSMTPCore

/// docs/replies.md lists every member of the reply catalogue (Sources/TernSMTPCore/Reply/Reply+*.swift)
/// with its code, enhanced code and text. These tests keep the two the same: the names declared in
/// the catalogue's sources, the samples below and the document's rows must be one set, and each row
/// must say what its sample sends.
///
/// Only `code`, `enhanced?.description` and `lines` of a reply are read, so the tests don't depend
/// on how `EnhancedStatusCode` is built.
@Suite struct ReplyCatalogueDocumentTests {
    /// A catalogue reply built for comparison with its row, and, for each placeholder that stands
    /// for an argument that isn't text, the text the sample's argument puts in its place.
    struct Sample {
        let reply: Reply
        let values: [String: String]

        init(_ reply: Reply, _ values: [String: String] = [:]) {
            self.reply = reply
            self.values = values
        }
    }

    static let user = Mailbox(localPart: "user", domain: .name("example.com"))
    static let other = Mailbox(localPart: "other", domain: .name("example.com"))

    /// One sample per member of the catalogue, keyed by its Swift name. Text arguments are the
    /// placeholders of the document's template, so the built text must equal the template.
    static let samples: [String: Sample] = [
        // Reply+Session.swift
        "greeting(_:)": Sample(.greeting("{host}")),
        "noMailGreeting(_:)": Sample(.noMailGreeting("{host}")),
        "noMail(_:)": Sample(.noMail("{host}")),
        "tooManyConnections(_:)": Sample(.tooManyConnections("{host}")),
        "tooManyConnectionsFromClient(_:)": Sample(.tooManyConnectionsFromClient("{host}")),
        "tooManyErrors(_:)": Sample(.tooManyErrors("{host}")),
        "idleTimeout(_:)": Sample(.idleTimeout("{host}")),
        "shuttingDown(_:)": Sample(.shuttingDown("{host}")),
        "closing(_:)": Sample(.closing("{host}")),
        "ehlo(_:client:keywords:)": Sample(.ehlo("{host}", client: "{client}", keywords: ["{keyword}", "…"])),
        "helo(_:client:)": Sample(.helo("{host}", client: "{client}")),
        "helloSyntax(_:)": Sample(.helloSyntax("{verb}")),
        "ok": Sample(.ok),
        "resetOK": Sample(.resetOK),
        // Reply+Transaction.swift
        "senderOK": Sample(.senderOK),
        "nestedMail": Sample(.nestedMail),
        "mailSyntax": Sample(.mailSyntax),
        "rcptSyntax": Sample(.rcptSyntax),
        "parameterSyntax(_:)": Sample(.parameterSyntax("{keyword}")),
        "unknownParameter(_:_:)": Sample(.unknownParameter("{verb}", "{keyword}")),
        "messageTooBig": Sample(.messageTooBig),
        "nonASCIIAddress": Sample(.nonASCIIAddress),
        "badSenderAddress": Sample(.badSenderAddress),
        "badRecipientAddress": Sample(.badRecipientAddress),
        "needMail": Sample(.needMail),
        "needRcpt": Sample(.needRcpt),
        "tooManyRecipients": Sample(.tooManyRecipients),
        "recipientOK": Sample(.recipientOK),
        "willForward(_:)": Sample(.willForward(other), ["path": "other@example.com"]),
        "relocated(_:)": Sample(.relocated(other), ["path": "other@example.com"]),
        "unknownUser(_:)": Sample(.unknownUser("{address}")),
        "mailboxDisabled(_:)": Sample(.mailboxDisabled("{address}")),
        "mailboxUnavailable(_:)": Sample(.mailboxUnavailable("{address}")),
        "relayDenied(_:)": Sample(.relayDenied("{address}")),
        "startMailInput": Sample(.startMailInput),
        "queued(_:)": Sample(.queued(QueueID("{id}")!)),
        "dataAfterBDAT": Sample(.dataAfterBDAT),
        "noValidRecipients": Sample(.noValidRecipients),
        "chunkReceived(_:)": Sample(.chunkReceived(4096), ["octets": "4096"]),
        "bdatSyntax": Sample(.bdatSyntax),
        "previousBDATFailed": Sample(.previousBDATFailed),
        "bareLineEnding": Sample(.bareLineEnding),
        "tooManyHops": Sample(.tooManyHops),
        "transactionOffset(_:)": Sample(.transactionOffset(65536), ["offset": "65536"]),
        "alreadyAccepted(_:)": Sample(.alreadyAccepted("{id}")),
        "resumeWithInterruptedCommand": Sample(.resumeWithInterruptedCommand),
        // Reply+Security.swift
        "readyToStartTLS": Sample(.readyToStartTLS),
        "tlsNotAvailable": Sample(.tlsNotAvailable),
        "tlsAlreadyActive": Sample(.tlsAlreadyActive),
        "startTLSFirst": Sample(.startTLSFirst),
        "authenticationRequired": Sample(.authenticationRequired),
        "senderNotOwned(_:account:)": Sample(.senderNotOwned(.mailbox(other), account: "{account}"),
                                             ["sender": "<other@example.com>"]),
        "authenticationSucceeded": Sample(.authenticationSucceeded),
        "challenge(_:)": Sample(.challenge(Array("Username:".utf8)), ["base64": "VXNlcm5hbWU6"]),
        "alreadyAuthenticated": Sample(.alreadyAuthenticated),
        "invalidCredentials": Sample(.invalidCredentials),
        "mechanismTooWeak": Sample(.mechanismTooWeak),
        "passwordTransitionNeeded": Sample(.passwordTransitionNeeded),
        "temporaryAuthenticationFailure": Sample(.temporaryAuthenticationFailure),
        "authenticationCancelled": Sample(.authenticationCancelled),
        "cannotDecodeResponse": Sample(.cannotDecodeResponse),
        "authLineTooLong": Sample(.authLineTooLong),
        "authSyntax": Sample(.authSyntax),
        "authNeedsEHLO": Sample(.authNeedsEHLO),
        "authInTransaction": Sample(.authInTransaction),
        "unknownMechanism": Sample(.unknownMechanism),
        "encryptionRequired": Sample(.encryptionRequired),
        // Reply+OnDemand.swift
        "odmrGreeting(_:)": Sample(.odmrGreeting("{host}")),
        "notImplementedOnODMR": Sample(.notImplementedOnODMR),
        "notImplementedOnListener": Sample(.notImplementedOnListener),
        "etrnStarted(_:messages:)": Sample(.etrnStarted("{node}", messages: 7), ["n": "7"]),
        "etrnSubdomainsStarted(_:)": Sample(.etrnSubdomainsStarted("{node}")),
        "etrnQueueStarted(_:)": Sample(.etrnQueueStarted("{node}")),
        "etrnNothingWaiting(_:)": Sample(.etrnNothingWaiting("{node}")),
        "etrnUnableToQueue(_:)": Sample(.etrnUnableToQueue("{node}")),
        "nodeNotAllowed(_:reason:)": Sample(.nodeNotAllowed("{node}", reason: "{reason}")),
        "etrnSyntax": Sample(.etrnSyntax),
        "etrnInTransaction": Sample(.etrnInTransaction),
        "reversingConnection": Sample(.reversingConnection),
        "atrnRefused": Sample(.atrnRefused),
        "atrnUnavailable": Sample(.atrnUnavailable),
        "youHaveNoMail": Sample(.youHaveNoMail),
        "atrnSyntax": Sample(.atrnSyntax),
        // Reply+Information.swift
        "help(_:commands:)": Sample(.help("{host}", commands: ["{command}", "…"])),
        "helpTopic(_:)": Sample(.helpTopic("{syntax}")),
        "noHelp(_:)": Sample(.noHelp("{topic}")),
        "systemStatus(_:_:)": Sample(
            .systemStatus("{host}", ServerStatus(acceptingMail: true, sessions: 3, queuedMessages: 12, heldMessages: 2)),
            ["mode": "accepting mail", "sessions": "3", "queued": "12", "held": "2"]),
        "verified(_:)": Sample(.verified(user), ["mailbox": "user@example.com"]),
        "cannotVerify": Sample(.cannotVerify),
        "verifyRelayDenied(_:)": Sample(.verifyRelayDenied("{address}")),
        "verifySyntax": Sample(.verifySyntax),
        // Reply+Errors.swift
        "lineTooLong": Sample(.lineTooLong),
        "emptyCommand": Sample(.emptyCommand),
        "unknownCommand(_:)": Sample(.unknownCommand("{verb}")),
        "noParametersAllowed": Sample(.noParametersAllowed),
        "notImplemented": Sample(.notImplemented),
        "badSequence(_:)": Sample(.badSequence("{why}")),
        "sendHelloFirst": Sample(.sendHelloFirst),
        "parameterNotImplemented(_:)": Sample(.parameterNotImplemented("{what}")),
        "localError": Sample(.localError),
        "insufficientStorage": Sample(.insufficientStorage),
    ]

    // MARK: - The catalogue's sources

    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let catalogueFolder = "Sources/TernSMTPCore/Reply"
    static let documentPath = "docs/replies.md"

    /// Every `public static let|var|func` (or `package`) member declared in `Reply+*.swift`, by its
    /// Swift name (`ok`, `parameterSyntax(_:)`), with the file that declares it.
    static func catalogueNames() throws -> [String: String] {
        let folder = repository.appendingPathComponent(catalogueFolder)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasPrefix("Reply+") && $0.hasSuffix(".swift") }
            .sorted()
        let declaration = #/^[ \t]*(?:public|package)[ \t]+(?:nonisolated[ \t]+)?static[ \t]+(let|var|func)[ \t]+(\w+)/#
            .anchorsMatchLineEndings()
        var names: [String: String] = [:]
        for file in files {
            let source = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            for match in source.matches(of: declaration) {
                var name = String(match.output.2)
                if match.output.1 == "func" {
                    name += "(" + argumentLabels(source[match.range.upperBound...]).map { $0 + ":" }.joined() + ")"
                }
                names[name] = file
            }
        }
        return names
    }

    /// The argument labels of the parameter list that starts `rest`: `(_ host: String, commands: [String])`
    /// gives `["_", "commands"]`.
    static func argumentLabels(_ rest: Substring) -> [String] {
        guard rest.first == "(" else { return [] }
        var parameters: [String] = []
        var current = ""
        var depth = 0
        var previous: Character = " "
        for character in rest.dropFirst() {
            defer { previous = character }
            switch character {
            case "(", "[", "{", "<": depth += 1
            case ">" where previous == "-": break
            case ")" where depth == 0:
                parameters.append(current)
                return parameters.compactMap { parameter in
                    let head = parameter.split(separator: ":", maxSplits: 1).first ?? ""
                    return head.split(whereSeparator: \.isWhitespace).first.map(String.init)
                }
            case ")", "]", "}", ">": depth -= 1
            case "," where depth == 0:
                parameters.append(current)
                current = ""
                continue
            default: break
            }
            current.append(character)
        }
        return []
    }

    // MARK: - The document

    /// One row of a reply table in docs/replies.md, the text already split into lines.
    struct Row {
        let line: Int
        let name: String
        let code: String
        let enhanced: String
        let textCell: String
        let text: [String]?
    }

    /// The rows of every table that has the columns `Catalogue name`, `Code`, `Enhanced code` and `Text`.
    static func documentRows() throws -> [Row] {
        let document = try String(contentsOf: repository.appendingPathComponent(documentPath), encoding: .utf8)
        var rows: [Row] = []
        var columns: [String: Int]?
        for (index, line) in document.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard line.hasPrefix("|") else {
                columns = nil
                continue
            }
            let cells = tableCells(line)
            if Set(cells).isSuperset(of: ["Catalogue name", "Code", "Enhanced code", "Text"]) {
                columns = Dictionary(cells.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
                continue
            }
            guard let columns, !cells.allSatisfy({ $0.allSatisfy { "-: ".contains($0) } }) else { continue }
            func cell(_ header: String) -> String {
                guard let column = columns[header], column < cells.count else { return "" }
                return cells[column]
            }
            rows.append(Row(
                line: index + 1, name: cell("Catalogue name").trimmingCharacters(in: CharacterSet(charactersIn: "`")),
                code: cell("Code"), enhanced: cell("Enhanced code"), textCell: cell("Text"), text: codeSpans(cell("Text"))))
        }
        return rows
    }

    /// The cells of a table line, trimmed, with `\|` read as `|` (GitHub Flavored Markdown tables).
    static func tableCells(_ line: Substring) -> [String] {
        var cells: [String] = []
        var current = ""
        var escaped = false
        for character in line.dropFirst() {
            if escaped {
                if character != "|" { current.append("\\") }
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "|" {
                cells.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            } else {
                current.append(character)
            }
        }
        return cells
    }

    /// The lines of a text cell: code spans separated by ` / `; nil if the cell isn't that.
    static func codeSpans(_ cell: String) -> [String]? {
        let spans = cell.matches(of: #/`([^`]*)`/#)
        let separators = cell.split(separator: #/`[^`]*`/#, omittingEmptySubsequences: false)
        guard !spans.isEmpty, separators.first == "", separators.last == "",
              separators.dropFirst().dropLast().allSatisfy({ $0 == " / " }) else { return nil }
        return spans.map { String($0.output.1) }
    }

    /// `template` with each `{placeholder}` of `values` replaced by its value.
    static func filled(_ template: [String], _ values: [String: String]) -> [String] {
        template.map { line in
            values.reduce(line) { line, value in line.replacingOccurrences(of: "{\(value.key)}", with: value.value) }
        }
    }

    static func quoted(_ lines: [String]) -> String {
        lines.map { "`\($0)`" }.joined(separator: " / ")
    }

    // MARK: - Tests

    @Test func everyMemberOfTheCatalogueHasASampleAndARow() throws {
        let declared = try Self.catalogueNames()
        let rows = try Self.documentRows()
        let sampled = Set(Self.samples.keys)
        var documented: [String: Int] = [:]
        for row in rows {
            if let earlier = documented[row.name] {
                Issue.record("\(Self.documentPath):\(row.line): `\(row.name)` has a second row (the first is at line \(earlier)); keep one")
            }
            documented[row.name] = documented[row.name] ?? row.line
        }
        for (name, file) in declared.sorted(by: { $0.key < $1.key }) {
            if !sampled.contains(name) {
                Issue.record("`\(name)` (\(Self.catalogueFolder)/\(file)) has no sample in ReplyCatalogueDocumentTests.samples: add one")
            }
            if documented[name] == nil {
                Issue.record("`\(name)` (\(Self.catalogueFolder)/\(file)) has no row in \(Self.documentPath): add one")
            }
        }
        for name in sampled.subtracting(declared.keys).sorted() {
            Issue.record("sample `\(name)` names no member declared in \(Self.catalogueFolder)/Reply+*.swift: fix or remove it")
        }
        for (name, line) in documented.sorted(by: { $0.value < $1.value }) where declared[name] == nil {
            Issue.record("\(Self.documentPath):\(line): row `\(name)` names no member declared in \(Self.catalogueFolder)/Reply+*.swift: fix or remove it")
        }
    }

    @Test func everyRowSaysWhatTheCatalogueSends() throws {
        let rows = try Self.documentRows()
        for row in rows {
            guard let sample = Self.samples[row.name] else { continue }
            let reply = sample.reply
            let place = "\(Self.documentPath):\(row.line) `\(row.name)`"
            if row.code != String(reply.code) {
                Issue.record("\(place): code is \(row.code), the catalogue sends \(reply.code)")
            }
            let enhanced = reply.enhanced?.description ?? "—"
            if row.enhanced != enhanced {
                Issue.record("\(place): enhanced code is \(row.enhanced), the catalogue sends \(enhanced)")
            }
            guard let template = row.text else {
                Issue.record("\(place): the text cell \(row.textCell) is not code spans separated by ` / `")
                continue
            }
            for placeholder in sample.values.keys.sorted() where !template.joined().contains("{\(placeholder)}") {
                Issue.record("\(place): the text has no {\(placeholder)}, which the sample fills with `\(sample.values[placeholder]!)`")
            }
            let expected = Self.filled(template, sample.values)
            if expected != reply.lines {
                let filledNote = sample.values.isEmpty ? "" : " (filled in: \(Self.quoted(expected)))"
                Issue.record("\(place): text is \(Self.quoted(template))\(filledNote), the catalogue sends \(Self.quoted(reply.lines))")
            }
        }
    }
}
