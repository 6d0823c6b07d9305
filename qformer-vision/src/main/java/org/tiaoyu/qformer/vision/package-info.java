/** Placeholder until the module's first class lands; see the issues. */
package org.tiaoyu.qformer.vision;
