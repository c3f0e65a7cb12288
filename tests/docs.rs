//! The documentation tells the truth: every rule and every parameter in docs/MODEL.md has the
//! name and default the engine uses, and every rule the engine knows is documented there.

use entente::scenario::RULE_DEFINITIONS;

/// `(rule, parameter, default)` for each parameter row of docs/MODEL.md, read from the rule
/// headings ("## 2. Sanction pressure — `sanction_pressure`") and rows ("| `tie_decay` δ | 0.1 |").
fn documented_parameters(text: &str) -> Vec<(String, String, String)> {
    let mut rows = Vec::new();
    let mut rule = None;
    for line in text.lines() {
        if line.starts_with("## ") {
            rule = line
                .split_once("— `")
                .and_then(|(_, rest)| rest.split('`').next())
                .map(str::to_string);
        } else if let (Some(rule), Some(row)) = (&rule, line.strip_prefix("| `")) {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let name = cells[0].split('`').next().unwrap().to_string();
            rows.push((rule.clone(), name, cells[1].to_string()));
        }
    }
    rows
}

#[test]
fn model_doc_lists_every_rule_parameter_with_its_default() {
    let text = std::fs::read_to_string("docs/MODEL.md").unwrap();
    let documented = documented_parameters(&text);
    for definition in &RULE_DEFINITIONS {
        assert!(
            text.contains(&format!("— `{}`", definition.name)),
            "rule {} has no section",
            definition.name
        );
        for param in definition.params {
            let row = documented
                .iter()
                .find(|(rule, name, _)| rule == definition.name && name == param.key)
                .unwrap_or_else(|| panic!("{}.{} is not documented", definition.name, param.key));
            assert_eq!(
                row.2.parse::<f64>().ok(),
                Some(param.default),
                "{}.{}: documented default {:?}",
                definition.name,
                param.key,
                row.2
            );
        }
        let channels_documented = documented
            .iter()
            .any(|(rule, name, _)| rule == definition.name && name == "channels");
        assert_eq!(
            channels_documented, definition.takes_channels,
            "{} channels",
            definition.name
        );
    }
    // No documented parameter that the engine does not have.
    for (rule, name, _) in &documented {
        let definition = RULE_DEFINITIONS
            .iter()
            .find(|definition| definition.name == rule);
        let known = definition.is_some_and(|definition| {
            name == "channels" || definition.params.iter().any(|param| param.key == name)
        });
        assert!(
            known,
            "docs/MODEL.md documents unknown parameter {rule}.{name}"
        );
    }
}
