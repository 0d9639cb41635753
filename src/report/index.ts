/**
 * Pictures and the HTML report that aekit's demo and commands write: image grids as PNG,
 * charts as SVG (and PNG), and a self-contained report folder. Inputs are plain typed arrays
 * with shapes; nothing here needs the tensor engine.
 */

export {
  comparisonGrid,
  imageGrid,
  savePngs,
  type ComparisonGridOptions,
  type ImageGridOptions,
  type SavePngsOptions,
} from './grid.js';
export {
  barChart,
  lineChart,
  scatterPlot,
  svgToPng,
  type Bar,
  type BarChartOptions,
  type LineChartOptions,
  type ScatterPlotOptions,
  type Series,
  type SvgToPngOptions,
} from './plots.js';
export {
  HtmlReport,
  formatNumber,
  type HtmlReportOptions,
  type ReportImage,
  type ReportSection,
  type ReportTable,
  type ReportWritten,
} from './html.js';
