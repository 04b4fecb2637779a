/** The broker contract against two memory brokers on one bus. */
import { MemoryBroker, MemoryBus } from "../../server/broker/memory.ts";
import { brokerContract } from "./broker.contract.ts";

const bus = new MemoryBus();
brokerContract("memory", () => ({ create: () => new MemoryBroker(bus) }));
