"""The MQTT bridge's watchers: added by start() and serve(), each one removed by deinit()."""
import app
from iot.auto import Automations
from iot.net.bridge import Bridge
from iot.net.mqtt import MQTTClient


def quiet(line):
    pass


async def watchers_come_and_go():
    """Of the devices, the updates and the automations; the client never connects (deinit() comes first)."""
    settings = app.load_settings(given={"op_ms": 0, "demo": False, "inputs": {"b": {"pin": 14}},
                                        "automations": [{"on": "b.press", "do": "light switch_on"}]})
    service, devices = app.build(settings, log=quiet)
    commands = app.make_commands(service, quiet)
    auto = commands.auto = Automations(settings["auto"], commands, quiet)

    def count():
        return [len(service.watchers), len(commands.update_watchers), len(auto.watchers)]

    seen = {"before": count()}
    bridge = Bridge(MQTTClient("127.0.0.1", 1, "test", log=quiet), "iot/test", "test", service, "pico", {},
                    discover=False).start()
    bridge.serve(commands)
    seen["served"] = count()
    bridge.deinit()
    seen["after deinit"] = count()
    auto.deinit()
    return seen
