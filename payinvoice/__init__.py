"""payinvoice core: settings, contracts shared by API, workflows and activities, pure domain."""
