import Logging
import NIOCore
import TernConfig
import TernDelivery
import TernPolicy
import TernSMTPCore
import TernSMTPServer

/// ETRN and ATRN: which hold domains a request covers, and releasing their mail
/// (docs/behaviour.md §14, §15).
extension MTASession {
    // Order after the core's checks (docs/behaviour.md §14): permission, run in progress, count.
    func etrn(_ request: ETRNRequest) async -> Reply {
        let node = request.node.description
        let domains: [String]
        let clientAddress = connection.remoteAddress?.description ?? ""
        switch mta.configuration.local.holdDomains.etrnNodes(for: request, clientAddress: clientAddress) {
        case .failure(let refusal):
            logger.info("etrn refused", metadata: ["node": "\(node)", "reason": "\(refusal)"])
            return .nodeNotAllowed(node, reason: refusal.description)
        case .success(let covered):
            domains = covered
        }
        let messages: Int
        do throws(HeldMailUnavailable) {
            messages = try await mta.runner.releaseHeld(Set(domains))
        } catch {
            logger.info("etrn: unable to queue", metadata: ["node": "\(node)", "reason": "\(error)"])
            return .etrnUnableToQueue(node)
        }
        logger.info("etrn", metadata: ["node": "\(node)", "domains": "\(domains)", "messages": "\(messages)"])
        if messages > 0 { DeliveryMetrics.onDemandRun(.etrn) }
        switch request.scope {
        case .queue: return .etrnQueueStarted(node)
        case .node: return messages > 0 ? .etrnStarted(node, messages: messages) : .etrnNothingWaiting(node)
        case .subdomains: return messages > 0 ? .etrnSubdomainsStarted(node) : .etrnNothingWaiting(node)
        }
    }

    // Order after the core's checks (docs/behaviour.md §15): ownership, lock, mail present.
    func atrn(_ request: ATRNRequest, account: String) async -> ATRNDecision {
        guard let domains = mta.configuration.local.holdDomains.atrnDomains(for: request, account: account) else {
            logger.info("atrn refused: domain not owned", metadata: ["account": "\(account)", "request": "\(request)"])
            return .refused(.atrnRefused)
        }
        let reservation: HeldMailReservation?
        do throws(HeldMailUnavailable) {
            reservation = try await mta.runner.reserveHeld(Set(domains))
        } catch {
            logger.info("atrn: unable to process", metadata: ["domains": "\(domains)", "reason": "\(error)"])
            return .refused(.atrnUnavailable)
        }
        guard let reservation else { return .refused(.youHaveNoMail) }
        DeliveryMetrics.onDemandRun(.atrn)
        logger.info("atrn accepted", metadata: [
            "account": "\(account)", "domains": "\(domains)", "messages": "\(reservation.messages.count)",
        ])
        return .accepted(HeldMailHandover(
            runner: mta.runner, reservation: reservation, peer: connection.remoteAddress?.description ?? "",
            timeout: mta.configuration.limits.idleTimeout))
    }
}

/// The turned connection's work: the reserved held mail, delivered over it.
struct HeldMailHandover: ConnectionReversal {
    let runner: QueueRunner
    let reservation: HeldMailReservation
    let peer: String
    let timeout: Duration

    func run(on connection: inout ReversedConnection) async {
        await runner.deliverHeld(
            reservation, peer: peer, early: connection.early, input: &connection.input, output: connection.outbound,
            channel: connection.channel, timeout: timeout)
    }

    func abandon() async {
        runner.abandon(reservation)
    }
}
