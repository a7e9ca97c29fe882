// SendOne HOST PORT FROM TO: sends one short message with Tern's one-call client.
import Glibc
import TernSMTPClient
import TernSMTPCore

let arguments = CommandLine.arguments
guard arguments.count == 5, let port = Int(arguments[2]) else {
    print("usage: SendOne HOST PORT FROM TO")
    exit(2)
}
let (host, sender, recipient) = (arguments[1], arguments[3], arguments[4])
let message = """
    From: <\(sender)>
    To: <\(recipient)>
    Subject: Hello from SendOne

    This message went through Tern's one-call client.
    """

do {
    let results = try await SMTPClient.send(
        message, from: sender, to: [recipient], via: SMTPClient.Server(host: host, port: port))
    for result in results {
        print("delivered to \(result.recipient.path): \(result.outcome.reply)")
    }
} catch {
    print("not delivered: \(error)")
    exit(1)
}
