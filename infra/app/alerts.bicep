// Scheduled-query alert rules on the app's Application Insights, one per KQL file in ../queries (the same files
// docs/operations.md quotes). Each query returns rows only when something is wrong: a rule fires on one row.
param appInsightsId string
param location string
param tags object
param namePrefix string

@description('Where alerts are e-mailed; empty deploys the action group without receivers (add them in the portal).')
param alertEmail string

var receivers = empty(alertEmail) ? [] : [{ name: 'operators', emailAddress: alertEmail, useCommonAlertSchema: true }]

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: '${namePrefix}-operators'
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: 'translation'
    enabled: true
    emailReceivers: receivers
  }
}

var rules = [
  {
    name: 'stuck-jobs'
    displayName: 'Translation jobs stuck'
    description: 'A job was submitted more than two hours ago and is neither announced nor timed out: the timer is not running or cannot reach the Translator (docs/operations.md, "Clear a stuck job").'
    severity: 2
    frequency: 'PT1H'
    window: 'PT1H'
    queryRange: 'P2D'
    query: loadTextContent('../queries/stuck-jobs.kql')
  }
  {
    name: 'rejection-rate'
    displayName: 'Many documents rejected'
    description: 'At least 20 % of the documents announced in the last hour (10 or more) were rejected: look at their reasons (docs/operations.md, "Outcomes by reason").'
    severity: 2
    frequency: 'PT15M'
    window: 'PT1H'
    queryRange: ''
    query: loadTextContent('../queries/rejection-rate.kql')
  }
  {
    name: 'poison-messages'
    displayName: 'Messages moved to a poison queue'
    description: 'The Functions host moved a message to a -poison queue (the outbox publisher or the blob trigger failed 5 times): docs/operations.md, "Replay an announcement" and "Poison blob events".'
    severity: 1
    frequency: 'PT15M'
    window: 'PT15M'
    queryRange: ''
    query: loadTextContent('../queries/poison-messages.kql')
  }
  {
    name: 'translator-throttling'
    displayName: 'Translator pushing back'
    description: 'The Translator answered 429 or 5xx at least 20 times in 15 minutes: the work is delayed, not lost; raise the Translator tier or lower the upload rate if it lasts.'
    severity: 3
    frequency: 'PT15M'
    window: 'PT15M'
    queryRange: ''
    query: loadTextContent('../queries/throttling.kql')
  }
  {
    name: 'budget-reached'
    displayName: 'Daily translation budget reached'
    description: 'MAX_CHARACTERS_PER_DAY was reached: new documents wait until the next UTC day (GET /api/status shows how many).'
    severity: 3
    frequency: 'PT15M'
    window: 'PT15M'
    queryRange: ''
    query: loadTextContent('../queries/budget-reached.kql')
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for rule in rules: {
    name: '${namePrefix}-${rule.name}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [appInsightsId]
      evaluationFrequency: rule.frequency
      windowSize: rule.window
      overrideQueryTimeRange: empty(rule.queryRange) ? null : rule.queryRange
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: 0
            failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
          }
        ]
      }
      autoMitigate: true
      actions: { actionGroups: [actionGroup.id] }
    }
  }
]

output actionGroupId string = actionGroup.id
