// An Azure Monitor workbook on the app's Application Insights: each chart runs one KQL file of ../queries (the same
// files docs/operations.md quotes), so the dashboard and the docs cannot drift apart.
param appInsightsId string
param location string
param tags object
param displayName string

var charts = [
  {
    title: 'Throughput: documents recorded, submitted and announced per 5 minutes (24 h)'
    query: loadTextContent('../queries/throughput.kql')
    visualization: 'timechart'
  }
  {
    title: 'Outcomes by reason (7 days)'
    query: loadTextContent('../queries/outcomes-by-reason.kql')
    visualization: 'table'
  }
  {
    title: 'Upload to announcement, seconds: p50, p95 and slowest per hour (7 days)'
    query: loadTextContent('../queries/announcement-latency.kql')
    visualization: 'timechart'
  }
  {
    title: 'Characters charged per UTC day (30 days)'
    query: loadTextContent('../queries/characters-per-day.kql')
    visualization: 'barchart'
  }
  {
    title: 'Jobs stuck for more than two hours'
    query: loadTextContent('../queries/stuck-jobs.kql')
    visualization: 'table'
  }
]

var intro = [
  {
    type: 1
    name: 'intro'
    content: { json: '## ${displayName}\nEvery chart runs a query of infra/queries (see docs/operations.md).' }
  }
]
var chartItems = [
  for (chart, i) in charts: {
    type: 3
    name: 'chart-${i}'
    content: {
      version: 'KqlItem/1.0'
      title: chart.title
      query: chart.query
      queryType: 0
      resourceType: 'microsoft.insights/components'
      visualization: chart.visualization
      size: 0
    }
  }
]
var content = { version: 'Notebook/1.0', items: concat(intro, chartItems), fallbackResourceIds: [appInsightsId] }

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(appInsightsId, 'translation-autopilot-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    sourceId: appInsightsId
    serializedData: string(content)
  }
}

output id string = workbook.id
